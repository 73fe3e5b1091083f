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
from django.urls import resolve, reverse

from admin_portal import navigation

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
    "setup",
    "security_center",
    "sso",
)
OURS = (PROJECT, LIBRARY, SHARED_MODEL, *AREAS)
PUBLIC = ("services", "selectors")


def _type_checking_only(tree):
    """Return the nodes under ``if TYPE_CHECKING:``: imports for annotations only."""
    return {
        id(child)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING"
        for child in ast.walk(node)
    }


def imported_modules(path):
    """Yield the dotted names ``path`` imports, with ``from app import x`` as ``app.x``.

    Imports under ``if TYPE_CHECKING:`` name types for annotations and are
    never run, so they are no dependency.
    """
    tree = ast.parse(path.read_text(), filename=str(path))
    skipped = _type_checking_only(tree)
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
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


def _menu_items(items):
    for item in items:
        yield from _menu_items(item.items) if getattr(item, "items", None) else (item,)


def test_every_nav_item_is_served_by_a_view_of_the_app_its_url_names():
    """A page is found by its nav label, then its app (the URL's namespace), then its view."""
    for item in _menu_items((*navigation.MENU, *navigation.SELF_SERVICE_MENU)):
        app = item.url_name.split(":")[0]
        match = resolve(reverse(item.url_name))
        view = getattr(match.func, "view_class", match.func)
        assert view.__module__.split(".")[0] == app, (item.url_name, view.__module__)
        assert match.app_name == app
