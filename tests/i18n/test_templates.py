"""Templates write no user-visible text outside a translation tag (see scanner.py)."""

import pytest
from django.conf import settings
from hypothesis import given
from hypothesis import strategies as st

from tests.i18n.scanner import (
    ALLOWED_WORDS,
    hidden_attribute_blocks,
    scan_directory,
    scan_source,
)


def test_templates_have_no_text_outside_translation_tags():
    root = settings.BASE_DIR
    findings = scan_directory(root / "templates", root=root)
    assert not findings, (
        "Wrap this text in {% translate %} or {% blocktranslate %} (file:line: text):\n"
        + "\n".join(str(finding) for finding in findings)
    )


def texts(source, **options):
    return [finding.text for finding in scan_source(source, **options)]


@pytest.mark.parametrize(
    "source",
    [
        "<p>Hello</p>",
        "Hello",
        "<p>{{ name }} Hello</p>",
        "<p>{% translate 'Hi' %} Hello</p>",
        '<a href="/" title="Hello">{{ name }}</a>',
        '<img src="x.svg" alt="Hello">',
        '<input type="text" name="q" placeholder="Hello">',
        '<button aria-label="Hello">{% icon "x" %}</button>',
        '<button aria-label="{{ name }} Hello">{% icon "x" %}</button>',
        '<input type="submit" value="Hello">',
        '<input type="BUTTON" value="Hello">',
        '<select><option value="1">Hello</option></select>',
        '<select><optgroup label="Hello"></optgroup></select>',
        "<title>Hello</title>",
        "<p>&eacute;t&eacute;</p>",
        "<p>Don&#39;t</p>",
        "<p>{{ value|default:'Hello' }}</p>",
        '<p title="{{ value|default:"Hello" }}">{{ value }}</p>',
        "<p>Zoë</p>",
        "<p>Привет</p>",
        "{% verbatim %}Hello{% endverbatim %}",
        "<p>{% blocktranslate %}Hi{% endblocktranslate %} Hello</p>",
    ],
)
def test_scanner_flags_text_outside_translation_tags(source):
    assert texts(source), source


@pytest.mark.parametrize(
    "source",
    [
        "",
        "<p>{% translate 'Hello' %}</p>",
        '<p>{% translate "Hello" %}</p>',
        "<p>{% trans 'Hello' %}</p>",
        "<p>{{ var }}</p>",
        "<p>{{ var|date:'DATE_FORMAT' }}</p>",
        "<p>{{ a }} — {{ b }} · {{ c }}</p>",
        "<p>&mdash; &middot; &nbsp; &amp; ( ) : / %</p>",
        "<p>1,234.56 12 % 2026-11-22 ² ½</p>",
        "<p>{% blocktranslate with name=n %}Hello {{ name }}{% endblocktranslate %}</p>",
        "<p>{% blocktrans count counter=n %}One{% plural %}Many{% endblocktrans %}</p>",
        "{% comment %}Hello{% endcomment %}",
        "{# Hello #}",
        "<!-- Hello -->",
        "<script>var hello = 'Hello';</script>",
        "<style>.hello::after { content: 'Hello'; }</style>",
        '<a href="/hello/" class="hello world" id="hello" data-x="Hello">{{ x }}</a>',
        '<input type="hidden" name="action" value="hello">',
        '<button type="submit" name="action" value="hello">{% translate "Go" %}</button>',
        "<p title=\"{% translate 'Hello' %}\">{{ x }}</p>",
        '<p aria-label="{% blocktranslate with n=x %}Hi {{ n }}{% endblocktranslate %}"></p>',
        "<p>{{ value|default:'—' }}</p>",
        "<div class=\"message-{{ tags|default:'info' }}\"></div>",
        "{% load i18n portal %}{% extends 'layout.html' %}{% block title %}{% endblock %}",
        "<p>{{ when|event_time }}</p>",
    ],
)
def test_scanner_accepts_translated_dynamic_and_wordless_text(source):
    assert texts(source) == [], source


def test_scanner_reports_the_line_of_the_text():
    source = "{% load i18n %}\n<p>\n  {% translate 'Hi' %}\n  Hello\n</p>\n"
    [finding] = scan_source(source, path="x.html")
    assert (finding.path, finding.line, finding.text) == ("x.html", 4, "{…} Hello")


def test_scanner_lines_stay_right_after_skipped_blocks():
    source = (
        "{% comment %}\none\ntwo\n{% endcomment %}"
        "{% blocktranslate %}a\nb{% endblocktranslate %}\n"
        '<p title="Hello">\n'
    )
    [finding] = scan_source(source)
    assert finding.line == 6


def test_plain_text_templates_flag_any_words_outside_tags():
    source = "{% load i18n %}{% translate 'Hello' %}\n\n    {{ change }}\n\nRegards\n"
    [finding] = scan_source(source, plain_text=True)
    assert (finding.line, finding.text) == (5, "Regards")
    # The same source as HTML: "Regards" is a text node there too.
    assert texts(source) == ["{…}{…} {…} Regards"]


def test_blocks_printed_in_a_hidden_attribute_are_no_text():
    base = (
        '<body class="{% block body_class %}{% endblock %}" title="{% block tip %}{% endblock %}">'
    )
    hidden = hidden_attribute_blocks([base])
    assert hidden == {"body_class"}
    child = "{% block body_class %}signin-page{% endblock %}{% block tip %}Hello{% endblock %}"
    assert texts(child, hidden_blocks=hidden) == ["{…}{…}{…}Hello{…}"]


def test_nested_blocks_inside_a_hidden_block_are_skipped_whole():
    child = "{% block cls %}a {% block inner %}b{% endblock %} c{% endblock %}<p>Hello</p>"
    assert texts(child, hidden_blocks={"cls"}) == ["Hello"]


@pytest.mark.parametrize("word", sorted(ALLOWED_WORDS))
def test_allowed_words_alone_are_accepted_but_not_what_surrounds_them(word):
    assert texts(f"<p>{{{{ x }}}} {word}</p>") == []
    assert texts(f"<p>{word} file</p>") == [f"{word} file"]


letters = st.characters(categories=["Lu", "Ll", "Lt", "Lo"])
words = st.text(letters, min_size=1, max_size=20).filter(lambda word: word not in ALLOWED_WORDS)
# Anything but letters, and the characters that start markup or template syntax.
wordless = st.text(
    st.characters(
        exclude_categories=["Lu", "Ll", "Lt", "Lm", "Lo", "Cs", "Co", "Cn", "Cc"],
        exclude_characters="<>&{}%#",
    ),
    max_size=40,
)


@given(word=words, before=wordless, after=wordless)
def test_any_word_in_a_text_node_is_flagged(word, before, after):
    assert texts(f"<p>{before}{word}{after}</p>")


@given(word=words)
def test_any_word_in_a_title_is_flagged(word):
    assert texts(f'<span title="{word}">{{{{ x }}}}</span>')


@given(word=words, around=wordless)
def test_any_word_in_a_translate_tag_is_accepted(word, around):
    assert texts(f'<p>{around}{{% translate "{word}" %}}{around}</p>') == []


@given(text=wordless)
def test_text_without_letters_is_accepted(text):
    assert texts(f"<p>{text}</p>") == []
