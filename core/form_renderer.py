"""A form renderer that builds the common widgets in Python.

Django renders every widget, and every <option> of a select, through a template.
On a list page with a filter bar that is several milliseconds a request. This
renderer produces the same markup as Django's ``input.html``, ``select.html`` and
``select_option.html`` templates with ``format_html``, and leaves every other
template (and any project override) to Django.
"""

from django.forms.renderers import DjangoTemplates
from django.template.loader import render_to_string
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

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


def _attrs(attrs):
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {conditional_escape(name)}")
        else:
            parts.append(format_html(' {}="{}"', name, str(value)))
    return "".join(parts)


def _input(context):
    widget = context["widget"]
    value = widget["value"]
    value_attr = "" if value is None else format_html(' value="{}"', str(value))
    return format_html(
        '<input type="{}" name="{}"{}{}>',
        widget["type"],
        widget["name"],
        value_attr,
        mark_safe(_attrs(widget["attrs"])),  # noqa: S308 - built with format_html
    )


def _option(option):
    return format_html(
        '<option value="{}"{}>{}</option>',
        str(option["value"]),
        mark_safe(_attrs(option["attrs"])),  # noqa: S308 - built with format_html
        option["label"],
    )


def _select(context):
    widget = context["widget"]
    parts = [
        format_html(
            '<select name="{}"{}>',
            widget["name"],
            mark_safe(_attrs(widget["attrs"])),  # noqa: S308 - built with format_html
        )
    ]
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(format_html('\n  <optgroup label="{}">', group_name))
        # select_option.html ends in a newline; keep the markup byte for byte.
        parts.extend("\n  " + _option(option) + "\n" for option in group_choices)
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


_FAST = {
    **{f"{_WIDGETS}{kind}.html": _input for kind in _INPUT_TYPES},
    f"{_WIDGETS}input.html": _input,
    f"{_WIDGETS}select.html": _select,
}


class PortalFormRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        fast = _FAST.get(template_name)
        if fast is not None and _is_plain(context["widget"]):
            return mark_safe(fast(context))  # noqa: S308 - every part went through format_html
        return super().render(template_name, context, request=request)


def _is_plain(widget):
    # Options of a select must use Django's own option template to be built here.
    return all(
        option.get("template_name") == f"{_WIDGETS}select_option.html"
        for _name, options, _index in widget.get("optgroups", ())
        for option in options
    )


def render_field(field):
    """Return ``field`` (a bound field) as ``templates/inc/field.html`` renders it.

    A filter bar shows a few fields on every request: built here, a field costs
    a tenth of an include. A field with errors (rare) goes through the template.
    """
    if field.errors:
        return render_to_string("inc/field.html", {"field": field})
    required = '<span class="required" aria-hidden="true"> *</span>' if field.field.required else ""
    help_text = ""
    if field.help_text:
        help_text = format_html(
            '<div class="help" id="{}_helptext">{}</div>', field.auto_id, field.help_text
        )
    return format_html(
        '\n<div class="field">\n  <label for="{}">{}{}</label>\n  {}\n  {}\n  \n</div>\n',
        field.id_for_label,
        field.label,
        mark_safe(required),  # noqa: S308 - a constant
        field,
        help_text,
    )
