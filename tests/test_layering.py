"""The layering the folder names promise, checked on every import statement.

- ``core`` (the shared library) imports no app of ours.
- ``accounts`` (the shared model) imports only ``core``.
- An area app reaches another area app only through its ``services`` or
  ``selectors`` (functions with plain arguments), never its views, forms,
  models or templates.
- Nothing but the project root imports the project root (``admin_portal``).

Imports inside functions count as much as those at the top of a module: an
import moved into a function hides a dependency, it does not remove it.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "admin_portal"
LIBRARY = "core"
SHARED_MODEL = "accounts"
AREAS = (
    "users",
    "groups",
    "billing",
    "security_info",
    "org_settings",
    "reports",
    "health",
    "support",
    "resources",
)
OURS = (PROJECT, LIBRARY, SHARED_MODEL, *AREAS)
PUBLIC = ("services", "selectors")


def imported_modules(path):
    """Yield the dotted names ``path`` imports, with ``from app import x`` as ``app.x``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module in OURS:
                yield from (f"{node.module}.{alias.name}" for alias in node.names)
            else:
                yield node.module


def app_modules(app):
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def refusal(app, module):
    """Return why ``app`` may not import ``module``, or None when it may."""
    parts = module.split(".")
    target = parts[0]
    if target not in OURS or target == app:
        return None
    if app == LIBRARY:
        return "core imports no app of ours"
    if target == PROJECT:
        return "only the project root imports the project root"
    if app == SHARED_MODEL and target != LIBRARY:
        return "accounts imports only core"
    if app in AREAS and target in AREAS and (len(parts) < 2 or parts[1] not in PUBLIC):
        return f"an area reaches {target} only through its services or selectors"
    return None


@pytest.mark.parametrize("app", [LIBRARY, SHARED_MODEL, *AREAS])
def test_app_imports_follow_the_layering(app):
    broken = [
        f"{path.relative_to(ROOT)}: {module} ({reason})"
        for path in app_modules(app)
        for module in imported_modules(path)
        if (reason := refusal(app, module))
    ]
    assert broken == []


@pytest.mark.parametrize(
    ("app", "module", "allowed"),
    [
        ("core", "accounts.models", False),
        ("core", "django.db", True),
        ("accounts", "core.tables", True),
        ("accounts", "users.services", False),
        ("accounts", "admin_portal.operators", False),
        ("users", "billing.selectors", True),
        ("users", "billing.services", True),
        ("users", "billing.models", False),
        ("groups", "users.forms", False),
        ("groups", "users", False),
        ("groups", "groups.forms", True),
        ("billing", "accounts.models", True),
        ("billing", "core.l10n", True),
    ],
)
def test_refusal_rules(app, module, allowed):
    assert (refusal(app, module) is None) is allowed
