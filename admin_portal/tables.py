"""Table rows rendered in Python.

A list page declares its columns once, as data; ``render_rows`` turns a page of
objects into ``<tr>`` markup with escaping done by ``format_html``. Rendering a
few hundred cells through the template engine costs more than the rest of the
page, so rows are built here and the template keeps the table's frame.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

EMPTY = "—"


@dataclass(frozen=True)
class Column:
    label: str
    # Return the cell's text (escaped on output) for one row object.
    value: Callable
    # Return the URL the cell links to, or None.
    link: Callable | None = None


def _cell(column, obj):
    text = column.value(obj)
    if text is None or text == "":
        return format_html("<td>{}</td>", EMPTY)
    if column.link is not None:
        return format_html('<td><a href="{}">{}</a></td>', column.link(obj), text)
    return format_html("<td>{}</td>", text)


def render_rows(columns, objects, *, empty_text=""):
    """Return the ``<tr>`` rows of ``objects``, or one row saying ``empty_text``."""
    rows = ["<tr>" + "".join(_cell(column, obj) for column in columns) + "</tr>" for obj in objects]
    if not rows:
        return format_html(
            '<tr><td colspan="{}" class="empty">{}</td></tr>', len(columns), empty_text
        )
    return mark_safe("".join(rows))  # noqa: S308 - every cell went through format_html


def render_header(columns):
    """Return the ``<th>`` cells for ``columns``."""
    return mark_safe(  # noqa: S308 - labels are escaped
        "".join(f'<th scope="col">{conditional_escape(c.label)}</th>' for c in columns)
    )
