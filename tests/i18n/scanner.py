"""Find user-visible text in Django templates that is not marked for translation.

A template is split with Django's own template ``Lexer``. Template tags, variables
and comments are replaced by a placeholder that holds no letters, and whatever sits
between ``{% blocktranslate %}`` and ``{% endblocktranslate %}`` (or inside
``{% comment %}``) is dropped, keeping its line breaks. What is left is the text a
template writes literally. For HTML templates that text is parsed with the standard
library's ``HTMLParser``: tags, comments and the bodies of ``<script>`` and
``<style>`` are skipped, entities are decoded, and every text node and every
user-visible attribute value (``title``, ``alt``, ``placeholder``, ``aria-label``,
the ``value`` of a button-like ``<input>``, ...) that still holds a letter is a
finding. Plain-text templates (emails) have no markup: any letter outside a tag is
a finding.

A variable's literal fallback (``|default:"..."``, ``default_if_none``) is printed
as written, so it is checked as text in its place. Blocks that a parent template
prints inside an attribute nobody reads (``<body class="{% block body_class %}">``)
are no text in the child templates that fill them.
"""

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from django.contrib import admin
from django.template.base import Lexer, TokenType

# Stands for a template tag or variable: text the template does not write literally.
# A private-use character, so it is neither a letter nor a space.
PLACEHOLDER = "\ue000"

# A word: letters, possibly joined by an apostrophe or a hyphen ("don't", "sign-in").
# [^\W\d_] also matches "²" and "½", which is_word() then leaves out.
WORD_RE = re.compile(r"[^\W\d_]+(?:['\N{RIGHT SINGLE QUOTATION MARK}-][^\W\d_]+)*")

# Attributes whose value people read or hear (tooltips, screen readers, field hints).
VISIBLE_ATTRIBUTES = frozenset(
    {
        "title",
        "alt",
        "placeholder",
        "aria-label",
        "aria-description",
        "aria-roledescription",
        "aria-placeholder",
        "aria-valuetext",
    }
)
# <input type=...> whose value is the button's caption.
BUTTON_INPUT_TYPES = frozenset({"submit", "button", "reset"})
# <optgroup label=...> and <option label=...> are shown in the list.
LABEL_ATTRIBUTE_TAGS = frozenset({"optgroup", "option", "track"})

# Words that are the same in every language the portal speaks, so they are written
# literally on purpose. Keep it short, with the reason for each.
ALLOWED_WORDS = {
    # The name of the zone of Coordinated Universal Time, which pages may name next
    # to a time: it is international (not "CUT" or "GMT" in any of our languages).
    "UTC": "time zone abbreviation, the same in every language",
    # File formats: the fallback name of an uploaded file without one, the caption
    # of the invoice download link (its aria-label is a translated sentence).
    "CSV": "file format name, the same in every language",
    "PDF": "file format name, the same in every language",
    # The DNS record type an admin adds at their DNS provider: a protocol keyword
    # that the provider's form shows as written.
    "TXT": "DNS record type, a protocol keyword",
}

_BLOCK_TRANSLATE_TAGS = ("blocktranslate", "blocktrans")
_BLOCK_TRANSLATE_END = ("endblocktranslate", "endblocktrans")
_DEFAULT_LITERAL_RE = re.compile(
    r"""\|\s*default(?:_if_none)?\s*:\s*(?P<quote>["'])(?P<text>.*?)(?P=quote)"""
)


@dataclass(frozen=True)
class Finding:
    """Untranslated text in a template: where it is and what it says."""

    path: str
    line: int
    text: str

    def __str__(self):
        return f"{self.path}:{self.line}: {self.text!r}"


def _word_matches(text):
    """Yield the matches of words in ``text`` that hold a letter and are not allowed."""
    for match in WORD_RE.finditer(text):
        word = match.group()
        if word not in ALLOWED_WORDS and any(character.isalpha() for character in word):
            yield match


def untranslated_words(text):
    """Return the words of ``text`` that hold a letter and are not in ALLOWED_WORDS."""
    return [match.group() for match in _word_matches(text)]


def _show(text):
    """Return ``text`` on one line, with placeholders shown as "{…}"."""
    return " ".join(text.replace(PLACEHOLDER, "{…}").split())


def literal_skeleton(source, *, hidden_blocks=frozenset()):
    """Return a template's source as the text it writes literally.

    Every tag, variable and comment becomes PLACEHOLDER; the insides of comment and
    blocktranslate blocks, and of the ``hidden_blocks`` (blocks that a parent
    template prints inside an attribute nobody sees, such as a class), become their
    line breaks only, so line numbers stay the same. A variable with a literal
    ``|default:"..."`` that holds words becomes that literal, which is what it prints
    when the value is empty.
    """
    parts = []
    skip_until = None  # the end tags of a block whose insides are not literal text
    depth = 0  # nesting of {% block %} inside a hidden block
    for token in Lexer(source).tokenize():
        contents = token.contents
        name = (contents.split() or [""])[0] if token.token_type == TokenType.BLOCK else ""
        if skip_until is not None:
            if name == "block":
                depth += 1
            if name in skip_until and not (name == "endblock" and depth):
                skip_until = None
                parts.append(PLACEHOLDER)
            elif name == "endblock":
                depth -= 1
            elif token.token_type == TokenType.TEXT:
                parts.append("\n" * contents.count("\n"))
            continue
        if token.token_type == TokenType.TEXT:
            parts.append(contents)
            continue
        parts.append(PLACEHOLDER)
        if name == "comment":
            skip_until = ("endcomment",)
        elif name in _BLOCK_TRANSLATE_TAGS:
            skip_until = _BLOCK_TRANSLATE_END
        elif name == "block" and contents.split()[1:2] and contents.split()[1] in hidden_blocks:
            skip_until = ("endblock",)
        elif token.token_type == TokenType.VAR:
            for match in _DEFAULT_LITERAL_RE.finditer(contents):
                if untranslated_words(match.group("text")):
                    parts.append(match.group("text") + PLACEHOLDER)
    return "".join(parts)


# A {% block %} tag inside an HTML start tag, in the value of an attribute:
# ``<body class="{% block body_class %}``.
_BLOCK_IN_ATTRIBUTE_RE = re.compile(
    r"""<[a-zA-Z][^<>]*?\s(?P<attribute>[^\s=<>"']+)\s*=\s*["']?[^<>"']*"""
    r"""\{%\s*block\s+(?P<block>\w+)\s*%\}"""
)


def hidden_attribute_blocks(sources):
    """Return the names of blocks that templates print inside an attribute nobody sees.

    A child template's ``{% block body_class %}signin-page{% endblock %}`` is no text:
    the base template prints it as a class. Blocks printed in a visible attribute
    (``title``, ``aria-label``, ...) are checked like any text.
    """
    hidden = set()
    for source in sources:
        for match in _BLOCK_IN_ATTRIBUTE_RE.finditer(source):
            if match.group("attribute").lower() not in VISIBLE_ATTRIBUTES:
                hidden.add(match.group("block"))
    return frozenset(hidden)


class _TextCollector(HTMLParser):
    """Collect text nodes and visible attribute values that hold words."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []  # (line, text)
        self._raw_depth = 0  # inside <script> or <style>

    def _check(self, text, line):
        if untranslated_words(text):
            self.found.append((line, _show(text)))

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._raw_depth += 1
        line = self.getpos()[0]
        values = dict(attrs)
        for name, value in attrs:
            if value is None:
                continue
            visible = (
                name in VISIBLE_ATTRIBUTES
                or (name == "label" and tag in LABEL_ATTRIBUTE_TAGS)
                or (
                    name == "value"
                    and tag == "input"
                    and (values.get("type") or "").lower() in BUTTON_INPUT_TYPES
                )
            )
            if visible:
                self._check(value, line)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in ("script", "style"):
            self._raw_depth -= 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._raw_depth:
            self._raw_depth -= 1

    def handle_data(self, data):
        if self._raw_depth:
            return
        line = self.getpos()[0]
        match = next(_word_matches(data), None)
        if match:
            # Report the line of the first word, not of the text node's start.
            self.found.append((line + data.count("\n", 0, match.start()), _show(data)))


def scan_source(source, *, path="<template>", plain_text=False, hidden_blocks=frozenset()):
    """Return the findings of one template's source."""
    skeleton = literal_skeleton(source, hidden_blocks=hidden_blocks)
    found = []
    if plain_text:
        for number, line in enumerate(skeleton.splitlines(), start=1):
            if untranslated_words(line):
                found.append((number, _show(line)))
    else:
        collector = _TextCollector()
        collector.feed(skeleton)
        collector.close()
        found.extend(collector.found)
    return sorted({Finding(path, line, text) for line, text in found}, key=_finding_order)


def _finding_order(finding):
    return (finding.path, finding.line, finding.text)


TEMPLATE_SUFFIXES = (".html", ".txt")


def template_files(directory):
    """Return the template files under ``directory``, sorted."""
    return sorted(
        path
        for path in Path(directory).rglob("*")
        if path.is_file() and path.suffix in TEMPLATE_SUFFIXES
    )


def scan_directory(directory, *, root):
    """Return the findings of every template under ``directory``, paths relative to ``root``."""
    sources = {path: path.read_text(encoding="utf-8") for path in template_files(directory)}
    # Our admin templates extend Django's, which print blocks such as ``bodyclass``
    # inside attributes too.
    django_admin = Path(admin.__file__).parent / "templates"
    parents = [path.read_text(encoding="utf-8") for path in template_files(django_admin)]
    hidden = hidden_attribute_blocks([*sources.values(), *parents])
    findings = []
    for path, source in sources.items():
        findings.extend(
            scan_source(
                source,
                path=str(path.relative_to(root)),
                plain_text=path.suffix == ".txt",
                hidden_blocks=hidden,
            )
        )
    return findings
