"""Every name the source marks messages with is one makemessages extracts.

xgettext finds a message by the name of the function called on it: it finds
``gettext_lazy("...")``, but ``_lazy("...")`` only when ``_lazy`` is one of its
keywords. A module that imports a translation function under a name xgettext does
not know keeps its messages out of the catalogs, and the catalog check in
``test_catalog.py`` cannot see it: it compares the catalog with what makemessages
extracts, and makemessages extracts nothing under an unknown name.

So this test reads every ``from django.utils.translation import ... as NAME`` of
the source and asserts that ``NAME`` is an extraction keyword of the project's
``makemessages`` (xgettext's own, Django's, or one the project adds in
``admin_portal/management/commands/makemessages.py``).
"""

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import get_commands, load_command_class

ROOT = Path(settings.BASE_DIR)

# The functions of django.utils.translation that mark a message for the catalog.
MARKING_FUNCTIONS = frozenset(
    {
        "gettext",
        "gettext_lazy",
        "gettext_noop",
        "ngettext",
        "ngettext_lazy",
        "pgettext",
        "pgettext_lazy",
        "npgettext",
        "npgettext_lazy",
    }
)
# Names xgettext extracts from Python without being told (GNU gettext manual,
# "--keyword": the default keywords for Python).
XGETTEXT_PYTHON_KEYWORDS = frozenset(
    {"gettext", "ugettext", "dgettext", "dcgettext", "ngettext", "ungettext", "dngettext", "_"}
    | {"dcngettext"}
)
# Names Django's makemessages adds for the "django" domain
# (django/core/management/commands/makemessages.py, ``build_potfiles``).
DJANGO_KEYWORDS = frozenset(
    {
        "gettext_noop",
        "gettext_lazy",
        "ngettext_lazy",
        "pgettext",
        "npgettext",
        "pgettext_lazy",
        "npgettext_lazy",
    }
)
# Folders makemessages would not read (hidden ones) or that hold no source of ours.
_SKIPPED_PARTS = {"__pycache__", "node_modules", "var", "test-artifacts"}


def _makemessages():
    return load_command_class(get_commands()["makemessages"], "makemessages")


def project_keywords():
    """Return the names the project's makemessages has xgettext extract from Python."""
    added = {
        option.removeprefix("--keyword=").split(":")[0]
        for option in _makemessages().xgettext_options
        if option.startswith("--keyword=")
    }
    return XGETTEXT_PYTHON_KEYWORDS | DJANGO_KEYWORDS | added


def source_files(root=ROOT):
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts
        if any(part.startswith(".") or part in _SKIPPED_PARTS for part in parts):
            continue
        yield path


def marking_names(source):
    """Yield (line, local name, function) for each translation function ``source`` imports."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
            for alias in node.names:
                if alias.name in MARKING_FUNCTIONS:
                    yield node.lineno, alias.asname or alias.name, alias.name


def unknown_names(keywords, files, root=ROOT):
    """Return "path:line: name (function)" for every import under a name not in ``keywords``."""
    found = []
    for path in files:
        for line, name, function in marking_names(path.read_text(encoding="utf-8")):
            if name not in keywords:
                found.append(f"{path.relative_to(root)}:{line}: {name} ({function})")
    return found


def test_manage_py_makemessages_is_the_projects_command():
    # The catalogs, their check in test_catalog.py and the docs all run this one.
    assert get_commands()["makemessages"] == "admin_portal"


def test_every_translation_function_is_imported_under_a_name_makemessages_extracts():
    found = unknown_names(project_keywords(), source_files())
    assert not found, (
        "xgettext does not extract messages marked with these names, so they never reach "
        "the catalogs. Import the function under its own name (or as _), or add the name "
        "to KEYWORDS in admin_portal/management/commands/makemessages.py:\n" + "\n".join(found)
    )


def test_the_walk_reads_the_projects_source():
    names = {(path.relative_to(ROOT).as_posix()) for path in source_files()}
    assert "users/views/list.py" in names and "admin_portal/settings.py" in names
    assert not any(name.startswith(".venv/") for name in names)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from django.utils.translation import gettext_lazy as _lazy", ["_lazy"]),
        ("from django.utils.translation import gettext as _, ngettext", ["_", "ngettext"]),
        ("from django.utils.translation import override, get_language", []),
        ("from other.translation import gettext_lazy as _l", []),
        ("def f():\n    from django.utils.translation import pgettext as p", ["p"]),
    ],
)
def test_marking_names_reads_imports_of_translation_functions(source, expected):
    assert [name for _line, name, _function in marking_names(source)] == expected


def test_an_alias_that_is_no_keyword_is_reported(tmp_path):
    module = tmp_path / "views.py"
    module.write_text("from django.utils.translation import gettext_lazy as _l\n")
    keywords = XGETTEXT_PYTHON_KEYWORDS | DJANGO_KEYWORDS
    assert unknown_names(keywords, [module], root=tmp_path) == ["views.py:1: _l (gettext_lazy)"]
