"""Table rows rendered in Python.

A list page declares its columns once, as data; ``render_rows`` turns a page of
objects into ``<tr>`` markup with escaping done here, and ``render_header``
gives the header row, with sort links for sortable columns. Rendering a few
hundred cells through the template engine costs more than the rest of the
page, so rows are built here and the template keeps the table's frame.

Each column is bound once per table (``bind``): translations, URL prefixes
and other constants are worked out then, so that a cell is one f-string.
"""

from collections.abc import Callable
from dataclasses import dataclass
from html import escape as _escape

from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeData, mark_safe

EMPTY = "—"
# Stands for the row's id while an object's URL is reversed once per table.
_PK_MARK = 918273645


def esc(value):
    """Return ``value`` as HTML-escaped text, unless it is already safe markup.

    The same result as Django's ``conditional_escape``, without its lazy-string
    wrapper: a list page escapes a few hundred cells, and that wrapper was a
    third of the page's time.
    """
    if isinstance(value, SafeData):
        return str(value)
    return _escape(str(value), quote=True)


@dataclass(frozen=True)
class ObjectURL:
    """A link to each row object's page, the URL ``url_name`` with the object's ``pk``.

    The URL is reversed once per table, not once per row.
    """

    url_name: str

    def bind(self):
        """Return a function that gives one object's URL, already escaped."""
        url = reverse(self.url_name, args=[_PK_MARK])
        prefix, _mark, suffix = url.partition(str(_PK_MARK))
        prefix, suffix = esc(prefix), esc(suffix)
        return lambda obj: f"{prefix}{obj.pk}{suffix}"


@dataclass(frozen=True)
class Column:
    """A text cell, linked when ``link`` is given; a heading that sorts by ``sort``.

    ``value`` returns the cell's text (escaped on output) for one row object;
    None or "" shows a dash. ``link`` returns the URL the cell links to, or is
    an ``ObjectURL``.
    """

    label: str
    value: Callable
    link: Callable | None = None
    sort: str | None = None

    def bind(self):
        """Return a function that renders this column's ``<td>`` for one row object."""
        value = self.value
        link = self.link
        if link is None:

            def cell(obj):
                text = value(obj)
                if text is None or text == "":
                    return f"<td>{EMPTY}</td>"
                return f"<td>{esc(text)}</td>"

            return cell
        if isinstance(link, ObjectURL):
            url, quoted = link.bind(), True
        else:
            url, quoted = link, False

        def linked(obj):
            text = value(obj)
            if text is None or text == "":
                return f"<td>{EMPTY}</td>"
            href = url(obj) if quoted else esc(url(obj))
            return f'<td><a href="{href}">{esc(text)}</a></td>'

        return linked

    def header(self):
        return f'<th scope="col">{conditional_escape(self.label)}</th>'


@dataclass(frozen=True)
class CheckboxColumn:
    """The selection checkbox of each row, for the list's bulk form ``form``.

    ``row_label`` is the checkbox's accessible name, with ``%(name)s`` for
    ``name(obj)``; ``label`` names the header's select-all box.
    """

    label: str
    row_label: str
    name: Callable
    form: str = "bulk-form"
    field: str = "ids"
    sort = None

    def bind(self):
        row_label = str(self.row_label)
        name = self.name
        start = f'<td class="select-cell"><input type="checkbox" name="{esc(self.field)}" value="'
        middle = f'" form="{esc(self.form)}" data-row-select aria-label="'
        return lambda obj: (
            f'{start}{esc(obj.pk)}{middle}{esc(row_label % {"name": name(obj)})}"></td>'
        )

    def header(self):
        return format_html(
            '<th scope="col" class="select-cell">'
            '<input type="checkbox" data-select-all data-js-only hidden aria-label="{}"></th>',
            self.label,
        )


@dataclass(frozen=True)
class BadgeColumn:
    """A yes/no cell: the badge ``badge`` (style ``kind``) if ``test(obj)``, else ``otherwise``."""

    label: str
    test: Callable
    badge: str
    otherwise: str = ""
    kind: str = "warning"
    sort: str | None = None

    def bind(self):
        test = self.test
        yes = f'<td><span class="badge badge-{esc(self.kind)}">{esc(self.badge)}</span></td>'
        no = f"<td>{esc(self.otherwise) or EMPTY}</td>"
        return lambda obj: yes if test(obj) else no

    header = Column.header


def render_rows(columns, objects, *, empty_text=""):
    """Return the ``<tr>`` rows of ``objects``, or one row saying ``empty_text``."""
    cells = [column.bind() for column in columns]
    rows = ["<tr>" + "".join([cell(obj) for cell in cells]) + "</tr>" for obj in objects]
    if not rows:
        return format_html(
            '<tr><td colspan="{}" class="empty">{}</td></tr>', len(columns), empty_text
        )
    return mark_safe("".join(rows))  # noqa: S308 - every cell went through esc()


def render_header(columns, *, sort=None, query=""):
    """Return the ``<th>`` cells for ``columns``.

    A column with a ``sort`` key links to sorting by it (then reversed, when it
    is the current ``sort``) and carries ``aria-sort`` while it sorts the list.
    The links keep ``query``, the list's query string without its sort and page.
    """
    cells = []
    for column in columns:
        key = column.sort
        if key is None:
            cells.append(column.header())
            continue
        if sort == key:
            aria, next_key, arrow = ' aria-sort="ascending"', f"-{key}", "▲"
        elif sort == f"-{key}":
            aria, next_key, arrow = ' aria-sort="descending"', key, "▼"
        else:
            aria, next_key, arrow = "", key, ""
        href = f"?{query}&sort={next_key}" if query else f"?sort={next_key}"
        cells.append(
            f'<th scope="col"{aria}><a href="{esc(href)}">{conditional_escape(column.label)}'
            f'<span aria-hidden="true">{arrow}</span></a></th>'
        )
    return mark_safe("".join(cells))  # noqa: S308 - labels and links are escaped
