"""A form renderer that builds the common widgets and field rows in Python.

Django renders every widget, and every <option> of a select, through a template.
On a list page with a filter bar that is several milliseconds a request. This
renderer produces the same markup as Django's ``input.html``, ``textarea.html``,
``select.html`` and ``select_option.html`` templates and as the portal's
``inc/field.html``, with escaping done here, and leaves every other template (and
any project override) to Django.

A select's options are rendered once for each list of choices (their values and
labels as the active language writes them) and kept; a request only marks the
chosen option. Its bound fields (``PortalBoundField``) skip Django's dict per
option (``ChoiceWidget.optgroups``) for the selects they render.
"""

import html
from collections import OrderedDict
from threading import Lock

from django import forms
from django.forms.boundfield import BoundField
from django.forms.models import ModelChoiceIterator
from django.forms.renderers import DjangoTemplates
from django.utils.choices import BaseChoiceIterator, normalize_choices
from django.utils.functional import Promise
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

_WIDGETS = "django/forms/widgets/"
_INPUT_TYPES = [
    "color",
    "date",
    "datetime",
    "email",
    "hidden",
    "number",
    "password",
    "search",
    "tel",
    "text",
    "time",
    "url",
]
FIELD_TEMPLATE = "inc/field.html"


def _escape(value):
    """Return ``value`` as ``conditional_escape`` does: markup kept, text escaped.

    The same result without its wrappers: a select escapes hundreds of labels.
    """
    if type(value) is not str:
        if isinstance(value, Promise):
            value = str(value)
        if hasattr(value, "__html__"):
            return value.__html__()
        value = str(value)
    return html.escape(value)


def _text(value):
    """Return ``value`` as ``{{ value|stringformat:'s' }}`` does: always escaped."""
    return html.escape(str(value))


def _attrs(attrs):
    # django/forms/widgets/attrs.html
    return "".join(
        f" {_escape(name)}" if value is True else f' {_escape(name)}="{_text(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(context):
    widget = context["widget"]
    value = widget["value"]
    value_attr = "" if value is None else f' value="{_text(value)}"'
    return (
        f'<input type="{_escape(widget["type"])}" name="{_escape(widget["name"])}"'
        f"{value_attr}{_attrs(widget['attrs'])}>"
    )


def _textarea(context):
    widget = context["widget"]
    value = _escape(widget["value"]) if widget["value"] else ""
    name = _escape(widget["name"])
    return f'<textarea name="{name}"{_attrs(widget["attrs"])}>\n{value}</textarea>'


def _option(option):
    return (
        f'<option value="{_text(option["value"])}"{_attrs(option["attrs"])}>'
        f"{_escape(option['label'])}</option>"
    )


def _select(context):
    widget = context["widget"]
    parts = [f'<select name="{_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_escape(group_name)}">')
        # select_option.html ends in a newline; keep the markup byte for byte.
        parts.extend(f"\n  {_option(option)}\n" for option in group_choices)
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _is_plain(widget):
    # Options of a select must use Django's own option template to be built here.
    return all(
        option.get("template_name") == f"{_WIDGETS}select_option.html"
        for _name, options, _index in widget.get("optgroups", ())
        for option in options
    )


# --- selects: options rendered once per list of choices ---------------------------------


class _Markup:
    """A label that is markup, in a key: ``"a<b>"`` and safe ``"a<b>"`` render apart."""

    __slots__ = ("html",)

    def __init__(self, html_):
        self.html = html_

    def __eq__(self, other):
        return type(other) is _Markup and other.html == self.html

    def __hash__(self):
        return hash(("markup", self.html))


def _key_text(label):
    # What a label renders as depends on its text in the active language, and on
    # whether that text is markup.
    if type(label) is str:
        return label
    text = str(label)
    return _Markup(text) if hasattr(text, "__html__") else text


def _key_html(text):
    return text.html if type(text) is _Markup else html.escape(text)


def _is_true(text):
    return bool(text.html if type(text) is _Markup else text)


def _options_key(choices):
    """Return a key that decides the options' markup: every value and label, as text.

    Follows ``ChoiceWidget.optgroups``: a choice whose label is a list or tuple
    is a group; a top-level value None is "".
    """
    key = []
    append = key.append
    for value, label in choices:
        if isinstance(label, (list, tuple)):
            append(_GROUP)
            append(_key_text("" if value is None else value))
            for subvalue, sublabel in label:
                append(str(subvalue))
                append(_key_text(sublabel))
            append(_GROUP)
        else:
            append("" if value is None else str(value))
            append(_key_text(label))
    return tuple(key)


_GROUP = object()  # a group's start and end, in a key


class _Options:
    """A select's options as markup, and where each value's ``selected`` goes.

    Made from an ``_options_key``: the markup of ``select.html`` between the
    ``<select>`` tag and its end, and for each value the offsets (in order) at
    which its options take the word ``selected``.
    """

    __slots__ = ("html", "marks")

    def __init__(self, key):
        parts, marks, size = [], {}, 0
        group_end = None
        items = iter(key)
        for item in items:
            if item is _GROUP:
                if group_end is not None:  # the group's end
                    text, group_end = group_end, None
                else:
                    name = next(items)
                    group_end = "\n  </optgroup>" if _is_true(name) else ""
                    text = f'\n  <optgroup label="{_key_html(name)}">' if group_end else ""
            else:
                head = f'\n  <option value="{_text(item)}'
                marks.setdefault(item, []).append(size + len(head) + 1)
                text = f'{head}">{_key_html(next(items))}</option>\n'
            parts.append(text)
            size += len(text)
        self.html = "".join(parts)
        self.marks = marks

    def render(self, values, multiple):
        """Return the options with ``selected`` on the chosen ones, as ``optgroups`` marks them."""
        if multiple:
            at = sorted(mark for value in set(values) for mark in self.marks.get(value, ()))
        else:
            # The first option whose value is chosen, as Django marks only one.
            first = [self.marks[value][0] for value in values if value in self.marks]
            at = (min(first),) if first else ()
        if not at:
            return self.html
        parts, previous = [], 0
        for mark in at:
            parts.append(self.html[previous:mark])
            parts.append(" selected")
            previous = mark
        parts.append(self.html[previous:])
        return "".join(parts)


_OPTIONS_KEPT = 256
_options_cache = OrderedDict()
_options_lock = Lock()


class KeptChoices(BaseChoiceIterator):
    """Choices that never change once made: normalized once, their markup kept on them.

    Django normalizes (walks and copies) a field's choices when they are set, then
    again for its widget, and copies them again for every form made. For the few
    hundred choices a form sets in its ``__init__`` (the time zones) that is more
    than the rest of the form. These are taken as they are, shared by every form,
    and a select renders their options once per language. Labels are plain text
    or translated lazily (their text depends on the language alone).
    """

    def __init__(self, choices):
        self._choices = tuple(normalize_choices(choices))
        self._options = {}  # the select's options, by language

    def __iter__(self):
        return iter(self._choices)

    def __len__(self):
        return len(self._choices)

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def options(self):
        """Return the ``_Options`` of these choices in the active language."""
        language = get_language()
        options = self._options.get(language)
        if options is None:
            options = self._options[language] = _options(self._choices)
        return options


def _options(choices):
    """Return the ``_Options`` of ``choices``, made once and kept (the last few hundred made)."""
    if isinstance(choices, KeptChoices):
        return choices.options()
    key = _options_key(choices)
    options = _options_cache.get(key)
    if options is None:
        options = _Options(key)
        with _options_lock:
            _options_cache[key] = options
            while len(_options_cache) > _OPTIONS_KEPT:
                _options_cache.popitem(last=False)
    return options


def _renders_plain_select(widget):
    """Return whether ``widget`` renders exactly as Django's Select with its own templates."""
    cls = type(widget)
    return (
        isinstance(widget, forms.Select)
        and widget.template_name == f"{_WIDGETS}select.html"
        and widget.option_template_name == f"{_WIDGETS}select_option.html"
        and not widget.option_inherits_attrs
        and cls.get_context is forms.Select.get_context
        and cls.optgroups is forms.Select.optgroups
        and cls.create_option is forms.Select.create_option
        and cls.render is forms.Widget.render
        and cls._render is forms.Widget._render
    )


def render_select(widget, name, value, attrs, renderer):
    """Return ``widget`` (a plain Select) as Django renders it, its options kept.

    Choices from a queryset change with the data: they are rendered each time,
    without being kept.
    """
    # Widget.get_context, not ChoiceWidget's: no dict per option.
    context = forms.Widget.get_context(widget, name, value, attrs)["widget"]
    if not isinstance(context["value"], list):
        # A value formatted as text (NullBooleanSelect's): Django matches the
        # options' values as parts of it, as its own templates do.
        return widget.render(name, value, attrs, renderer)
    multiple = widget.allow_multiple_selected
    if multiple:
        context["attrs"]["multiple"] = True
    choices = widget.choices
    options = (
        _Options(_options_key(choices))
        if isinstance(choices, ModelChoiceIterator)
        else _options(choices)
    )
    return mark_safe(  # noqa: S308 - every part is escaped here
        f'<select name="{_escape(context["name"])}"{_attrs(context["attrs"])}>'
        f"{options.render(context['value'], multiple)}\n</select>"
    )


class PortalBoundField(BoundField):
    """A bound field whose plain selects render from their kept options."""

    def as_widget(self, widget=None, attrs=None, only_initial=False):
        widget = widget or self.field.widget
        if only_initial or not _renders_plain_select(widget):
            return super().as_widget(widget, attrs, only_initial)
        # What BoundField.as_widget hands the widget, then the select built here.
        if self.field.localize:
            widget.is_localized = True
        attrs = self.build_widget_attrs(attrs or {}, widget)
        if self.auto_id and "id" not in widget.attrs:
            attrs.setdefault("id", self.auto_id)
        return render_select(widget, self.html_name, self.value(), attrs, self.form.renderer)


# --- field rows ---------------------------------------------------------------------------


def render_field(field):
    """Return ``field`` (a bound field) as ``{% include "inc/field.html" %}`` renders it."""
    return mark_safe(f"\n{render_field_row(field)}\n")  # noqa: S308 - escaped there


def render_field_row(field):
    """Return ``field`` (a bound field) as ``templates/inc/field.html`` renders it, stripped.

    What ``{{ field.as_field_group }}`` gives with this renderer: the label, the
    widget, its help text and its errors, without an include per field.
    """
    errors = field.errors
    required = '<span class="required" aria-hidden="true"> *</span>' if field.field.required else ""
    help_text = ""
    if field.help_text:
        help_text = (
            f'<div class="help" id="{_escape(field.auto_id)}_helptext">'
            f"{_escape(field.help_text)}</div>"
        )
    error_list = ""
    if errors:
        error_list = (
            f'<div id="{_escape(field.auto_id)}_error">'
            + "".join(f'<p class="field-error">{_escape(error)}</p>' for error in errors)
            + "</div>"
        )
    return mark_safe(  # noqa: S308 - every part is escaped here
        f'<div class="field{" field-invalid" if errors else ""}">\n'
        f'  <label for="{_escape(field.id_for_label)}">{_escape(field.label)}{required}</label>\n'
        f"  {_escape(field)}\n  {help_text}\n  {error_list}\n</div>"
    )


_FAST = {
    **{f"{_WIDGETS}{kind}.html": _input for kind in _INPUT_TYPES},
    f"{_WIDGETS}input.html": _input,
    f"{_WIDGETS}textarea.html": _textarea,
    f"{_WIDGETS}select.html": _select,
}


class PortalFormRenderer(DjangoTemplates):
    """Django's renderer, with the common widgets and ``inc/field.html`` built in Python.

    A field's row is ``{{ field.as_field_group }}``: the portal's ``inc/field.html``.
    """

    bound_field_class = PortalBoundField
    field_template_name = FIELD_TEMPLATE

    def render(self, template_name, context, request=None):
        if template_name == FIELD_TEMPLATE and context.keys() == {"field"}:
            return render_field_row(context["field"])
        fast = _FAST.get(template_name)
        if fast is not None and "widget" in context and _is_plain(context["widget"]):
            return mark_safe(fast(context))  # noqa: S308 - every part is escaped here
        return super().render(template_name, context, request=request)
