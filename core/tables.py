"""Table rows rendered in Python.

A list page declares its columns once, as data; ``render_rows`` turns a page of
objects into ``<tr>`` markup with escaping done here, and ``render_header``
gives the header row, with sort links for sortable columns. Rendering a few
hundred cells through the template engine costs more than the rest of the
page, so rows are built here and the template keeps the table's frame.

Each column renders its cells for the whole page at once (``render``):
translations, URL prefixes and other constants are worked out once, so that
a cell is one f-string.
"""

from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter

from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeData, mark_safe

from core import l10n

EMPTY = "—"
# Stands for the row's id while an object's URL is reversed once per table.
_PK_MARK = 918273645


def esc(value):
    """Return ``value`` as HTML-escaped text, unless it is already safe markup.

    The same result as Django's ``conditional_escape`` (and ``html.escape``),
    without their wrappers: a list page escapes a thousand cells, and the
    wrappers were a third of the page's time.
    """
    if type(value) is not str:  # plain text is most cells: no more checks for it
        if isinstance(value, SafeData):
            return str(value)
        value = str(value)
    return (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#x27;")
    )


def _getter(value):
    """Return ``value``, or a getter of the attribute it names (faster than a lambda)."""
    return attrgetter(value) if isinstance(value, str) else value


@dataclass(frozen=True)
class ObjectURL:
    """A link to each row object's page, the URL ``url_name`` with the object's ``pk``.

    The URL is reversed once per table, not once per row.
    """

    url_name: str

    def parts(self):
        """Return the escaped text before and after the id in every object's URL."""
        url = reverse(self.url_name, args=[_PK_MARK])
        prefix, _mark, suffix = url.partition(str(_PK_MARK))
        return esc(prefix), esc(suffix)


@dataclass(frozen=True)
class Column:
    """A text cell, linked when ``link`` is given; a heading that sorts by ``sort``.

    ``value`` returns the cell's text (escaped on output) for one row object,
    or names the attribute that holds it; None or "" shows a dash. ``link``
    returns the URL the cell links to, or is an ``ObjectURL``.
    """

    label: str
    value: Callable | str
    link: Callable | None = None
    sort: str | None = None

    def render(self, objects):
        """Return this column's ``<td>`` cells for ``objects``, in order."""
        value, link = _getter(self.value), self.link
        empty = f"<td>{EMPTY}</td>"
        if link is None:
            return [
                empty if (text := value(obj)) is None or text == "" else f"<td>{esc(text)}</td>"
                for obj in objects
            ]
        if isinstance(link, ObjectURL):
            prefix, suffix = link.parts()
            return [
                empty
                if (text := value(obj)) is None or text == ""
                else (
                    f'<td><a href="{prefix}{pk if type(pk := obj.pk) is int else esc(pk)}'
                    f'{suffix}">{esc(text)}</a></td>'
                )
                for obj in objects
            ]
        return [
            empty
            if (text := value(obj)) is None or text == ""
            else f'<td><a href="{esc(link(obj))}">{esc(text)}</a></td>'
            for obj in objects
        ]

    def header(self):
        return f'<th scope="col">{conditional_escape(self.label)}</th>'

    def text(self, obj):
        """Return the cell's plain text for ``obj`` (a CSV export's cell)."""
        return _getter(self.value)(obj)


@dataclass(frozen=True)
class EventTimeColumn(Column):
    """A cell with the time of an event, in the organization's zone, the zone named.

    ``value`` returns (or names) an aware datetime. The page shows it as
    ``core.l10n.format_datetime`` writes it ("3 Dec 2026, 17:22 CET"; with
    ``seconds``, to the second), with the language and zone looked up once per
    table; a CSV export gets ISO 8601 with the offset.
    """

    seconds: bool = False

    def render(self, objects):
        format_time = l10n.datetime_formatter(seconds=self.seconds)
        moment = _getter(self.value)
        cells = Column(self.label, lambda obj: format_time(moment(obj)), self.link, self.sort)
        return cells.render(objects)

    def text(self, obj):
        value = _getter(self.value)(obj)
        return timezone.localtime(value).isoformat() if value else ""


@dataclass(frozen=True)
class CheckboxColumn:
    """The selection checkbox of each row, for the list's bulk form ``form``.

    ``row_label`` is the checkbox's accessible name, with ``%(name)s`` for
    ``name(obj)``; ``label`` names the header's select-all box.
    """

    label: str
    row_label: str
    name: Callable | str
    form: str = "bulk-form"
    field: str = "ids"
    sort = None

    def render(self, objects):
        row_label = str(self.row_label)
        name = _getter(self.name)
        start = f'<td class="select-cell"><input type="checkbox" name="{esc(self.field)}" value="'
        middle = f'" form="{esc(self.form)}" data-row-select aria-label="'
        return [
            f"{start}{pk if type(pk := obj.pk) is int else esc(pk)}{middle}"
            f'{esc(row_label % {"name": name(obj)})}"></td>'
            for obj in objects
        ]

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
    test: Callable | str
    badge: str
    otherwise: str = ""
    kind: str = "warning"
    sort: str | None = None

    def render(self, objects):
        test = _getter(self.test)
        yes = f'<td><span class="badge badge-{esc(self.kind)}">{esc(self.badge)}</span></td>'
        no = f"<td>{esc(self.otherwise) or EMPTY}</td>"
        return [yes if test(obj) else no for obj in objects]

    header = Column.header

    def text(self, obj):
        """Return the cell's plain text for ``obj`` (a CSV export's cell)."""
        return str(self.badge if _getter(self.test)(obj) else self.otherwise)


def render_rows(columns, objects, *, empty_text=""):
    """Return the ``<tr>`` rows of ``objects``, or one row saying ``empty_text``."""
    objects = list(objects)
    if not objects:
        return format_html(
            '<tr><td colspan="{}" class="empty">{}</td></tr>', len(columns), empty_text
        )
    # Column by column (one loop each), then the rows interleaved by slices:
    # no Python call per cell.
    width, count = len(columns) + 1, len(objects)
    parts = [""] * (width * count)
    for index, column in enumerate(columns):
        parts[index::width] = column.render(objects)
    parts[width - 1 :: width] = ["</tr><tr>"] * count
    parts[-1] = "</tr>"
    return mark_safe("<tr>" + "".join(parts))  # noqa: S308 - every cell went through esc()


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
