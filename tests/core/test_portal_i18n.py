"""``{% translate %}`` through the portal's i18n library: Django's output, kept per language."""

import re
from pathlib import Path

import pytest
from django.template import Context, Engine, engines
from django.utils import translation

from core.templatetags.portal_i18n import KeptTranslateNode

LOAD_I18N = re.compile(r"\{%\s*load\s[^%]*(?<![\w.])i18n(?![\w.])")

# Django's own library, for the expected output.
DJANGO = Engine(libraries={"i18n": "django.templatetags.i18n"})

SOURCES = [
    '{% translate "Job title" %}',
    "{% translate 'Job title' noop %}",
    '{% translate "Job title" as title %}[{{ title }}]',
    '{% translate "May" context "month name" %}',
    '{% translate "a < b & \\"c\\"" %}',
    '{% autoescape off %}{% translate "a < b" %}{% endautoescape %}',
    '{% translate "100%% sure" %}',
    '{% translate "Job title"|upper %}',
    "{% translate word %}",
]


def portal(source):
    return engines["django"].from_string("{% load portal_i18n %}" + source)


def django(source):
    return DJANGO.from_string("{% load i18n %}" + source)


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("language", ["en", "nl"])
def test_the_output_is_djangos_in_every_language(source, language):
    template = portal(source)
    for _ in range(2):  # rendered, then kept
        with translation.override(language):
            expected = django(source).render(Context({"word": "Job title"}))
            assert template.render({"word": "Job title"}) == expected


def test_a_kept_message_follows_the_language():
    template = portal('{% translate "Job title" %}')
    with translation.override("en"):
        assert template.render({}) == "Job title"
    with translation.override("nl"):
        assert template.render({}) == "Functie"
    with translation.override("en"):
        assert template.render({}) == "Job title"


def test_only_literal_messages_without_filters_are_kept():
    def nodes(source):
        return [n for n in portal(source).template.nodelist if "Translate" in type(n).__name__]

    assert isinstance(nodes('{% translate "Job title" %}')[0], KeptTranslateNode)
    assert not isinstance(nodes('{% translate "Job title"|upper %}')[0], KeptTranslateNode)
    assert not isinstance(nodes("{% translate word %}")[0], KeptTranslateNode)


def test_the_portals_templates_load_the_portal_i18n_library():
    # {% load i18n %} would put Django's translate tag back: right, but never kept.
    root = Path(__file__).resolve().parents[2]
    offenders = [
        str(path.relative_to(root))
        for folder in ("templates", *(p.name for p in root.iterdir() if (p / "templates").is_dir()))
        for path in (root / folder).rglob("*.html")
        if "templates" in path.parts and LOAD_I18N.search(path.read_text())
    ]
    assert not offenders, "load portal_i18n, not i18n, in: " + ", ".join(sorted(set(offenders)))
