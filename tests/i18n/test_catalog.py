"""The committed translation catalogs are complete and compiled.

The project's ``makemessages`` (``admin_portal/management/commands/makemessages.py``:
Django's, extracting the ``_lazy`` alias too; ``test_keywords.py`` checks that it
knows every alias the source uses) runs in a temporary copy of the project, so the
repository's files stay as they are. Every message it extracts must be in each
language's committed ``.po`` with a translation (every plural form) that is not
fuzzy, and the committed ``.mo`` must hold exactly what the ``.po`` says. Fix a
failure with::

    .venv/bin/python manage.py makemessages -l nl
    # translate what is new or fuzzy in locale/nl/LC_MESSAGES/django.po
    .venv/bin/python manage.py compilemessages --ignore=.venv

Messages the source no longer uses must be gone from the catalog too (makemessages
marks them obsolete), and every translation must keep its message's placeholders.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
LOCALE_DIR = ROOT / "locale"
# What makemessages would skip anyway ("." folders are ignored by default) or what
# holds no source: build output, caches, local data.
_NOT_COPIED = shutil.ignore_patterns(
    ".*", "__pycache__", "*.pyc", "*.egg-info", "var", "test-artifacts", "node_modules", "*.sqlite3"
)

# The languages we ship a catalog for: all but the source language, English.
LANGUAGES = [code for code, _name in settings.LANGUAGES if code != "en"]
# "djangojs" is checked too as soon as a language has a JavaScript catalog.
DOMAINS = sorted({path.stem for path in LOCALE_DIR.glob("*/LC_MESSAGES/*.po")}) or ["django"]


def _key(entry):
    return (entry.msgctxt, entry.msgid, entry.msgid_plural or None)


def _show(key):
    context, msgid, _plural = key
    return f"{context}|{msgid!r}" if context else repr(msgid)


def _listing(title, keys):
    """Return ``title`` and the messages of ``keys``, one a line; nothing if there are none."""
    if not keys:
        return ""
    lines = "\n".join(f"  {_show(key)}" for key in sorted(keys, key=str))
    return f"{title} ({len(keys)}):\n{lines}\n"


def _is_translated(entry):
    if entry.msgid_plural:
        forms = entry.msgstr_plural
        return bool(forms) and all(text.strip() for text in forms.values())
    return bool(entry.msgstr.strip())


def _catalog_path(language, domain):
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po"


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """Return ``{(language, domain): {key, ...}}``: the messages the source produces now."""
    if not (shutil.which("xgettext") and shutil.which("msgmerge")):
        pytest.fail("makemessages needs the gettext tools: apt-get install gettext")
    copy = tmp_path_factory.mktemp("i18n") / "project"
    shutil.copytree(ROOT, copy, ignore=_NOT_COPIED, symlinks=True)
    found = {}
    for domain in DOMAINS:
        command = [sys.executable, "manage.py", "makemessages", f"--domain={domain}"]
        command += [f"--locale={language}" for language in LANGUAGES]
        result = subprocess.run(command, cwd=copy, capture_output=True, text=True)  # noqa: S603
        assert result.returncode == 0, f"makemessages failed:\n{result.stderr}"
        for language in LANGUAGES:
            path = copy / "locale" / language / "LC_MESSAGES" / f"{domain}.po"
            catalog = polib.pofile(str(path)) if path.exists() else []
            found[language, domain] = {_key(entry) for entry in catalog if not entry.obsolete}
    return found


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_of_the_source_is_translated(extracted, language, domain):
    path = _catalog_path(language, domain)
    assert path.exists(), f"{path.relative_to(ROOT)} is missing: run makemessages -l {language}"
    committed = {_key(entry): entry for entry in polib.pofile(str(path)) if not entry.obsolete}
    wanted = extracted[language, domain]

    missing = wanted - committed.keys()
    untranslated = {key for key in wanted & committed.keys() if not _is_translated(committed[key])}
    fuzzy = {key for key, entry in committed.items() if "fuzzy" in entry.flags}
    problems = [
        _listing("Not in the catalog (run makemessages, then translate)", missing),
        _listing("Without a translation", untranslated),
        _listing("Marked fuzzy (check the translation, then remove the flag)", fuzzy),
    ]
    assert not (missing or untranslated or fuzzy), f"{path.relative_to(ROOT)}\n" + "".join(problems)


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_has_no_messages_the_source_no_longer_uses(extracted, language, domain):
    path = _catalog_path(language, domain)
    committed = {_key(entry) for entry in polib.pofile(str(path)) if not entry.obsolete}
    stale = committed - extracted[language, domain]
    assert not stale, _listing(
        f"{path.relative_to(ROOT)}: gone from the source (run makemessages)", stale
    )


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_the_placeholders_of_their_message(language, domain, tmp_path):
    path = _catalog_path(language, domain)
    result = subprocess.run(  # noqa: S603
        ["msgfmt", "--check-format", "--output-file", str(tmp_path / "out.mo"), str(path)],  # noqa: S607
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalog_matches_the_po_file(language, domain):
    path = _catalog_path(language, domain)
    compiled_path = path.with_suffix(".mo")
    assert compiled_path.exists(), f"{compiled_path.relative_to(ROOT)} is missing: compilemessages"
    source = polib.pofile(str(path))
    compiled = polib.mofile(str(compiled_path))

    def messages(entries, *, from_po):
        result = {}
        for entry in entries:
            if from_po and (entry.obsolete or "fuzzy" in entry.flags or not _is_translated(entry)):
                continue  # msgfmt leaves these out
            if entry.msgid_plural:
                value = tuple(entry.msgstr_plural[index] for index in sorted(entry.msgstr_plural))
            else:
                value = entry.msgstr
            result[_key(entry)] = value
        return result

    expected = messages(source, from_po=True)
    actual = messages(compiled, from_po=False)
    differ = {key for key in expected.keys() & actual.keys() if expected[key] != actual[key]}
    not_compiled = expected.keys() - actual.keys()
    extra = actual.keys() - expected.keys()
    assert not (differ or not_compiled or extra), (
        f"{compiled_path.relative_to(ROOT)} is out of date: run compilemessages\n"
        + "".join(
            [
                _listing("Translation differs", differ),
                _listing("Not compiled", not_compiled),
                _listing("Only in the .mo", extra),
            ]
        )
    )
    assert compiled.metadata.get("Plural-Forms") == source.metadata.get("Plural-Forms")
