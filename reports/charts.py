"""Bar charts as inline SVG, drawn on the server: readable without color or JavaScript."""

from html import escape

BAR_HEIGHT = 22
GAP = 8
CHART_WIDTH = 800
# The label area fits the longest label, as wide as LABEL_CHAR per character guesses
# (the SVG cannot measure its text): at least MIN_LABEL_WIDTH, and at most
# MAX_LABEL_WIDTH, past which a label wraps onto a second line.
LABEL_CHAR = 7.2  # the width of a character of a label, roughly, at 13px
MIN_LABEL_WIDTH = 120
MAX_LABEL_WIDTH = 440
LABEL_PADDING = 16
LINE_SPACING = 15
VALUE_SPACE = 60  # room after the longest bar for its number


def label_lines(label, *, width=MAX_LABEL_WIDTH - LABEL_PADDING):
    """Return ``label`` as one line, or two split between words when it is wider than ``width``.

    The second line takes what does not fit on the first; a word longer than
    ``width`` is never cut.
    """
    label = str(label)
    if len(label) * LABEL_CHAR <= width:
        return [label]
    words = label.split()
    first = []
    for word in words:
        if first and len(" ".join([*first, word])) * LABEL_CHAR > width:
            break
        first.append(word)
    rest = words[len(first) :]
    return [" ".join(first), " ".join(rest)] if rest else [label]


def label_width(labels):
    """Return the width of the label area: the longest line of ``labels``, within the bounds."""
    longest = max(
        (len(line) for label in labels for line in label_lines(label)),
        default=0,
    )
    needed = round(longest * LABEL_CHAR) + LABEL_PADDING
    return max(MIN_LABEL_WIDTH, min(MAX_LABEL_WIDTH, needed))


def bar_chart(rows, *, title):
    """Return an SVG of horizontal bars for ``rows`` [(label, value)], values written out.

    Every bar carries its number as text, so the chart reads without telling
    colors apart; the table under it has the same figures. The label area is as
    wide as the longest label needs, and a label too long for it takes two lines.
    """
    rows = list(rows)
    peak = max((value for _label, value in rows), default=0) or 1
    labels_end = label_width(label for label, _value in rows)
    bar_space = CHART_WIDTH - labels_end - VALUE_SPACE
    height = max(len(rows), 1) * (BAR_HEIGHT + GAP) + GAP
    parts = [
        f'<svg class="chart chart-bar-chart" role="img" viewBox="0 0 {CHART_WIDTH} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" aria-label="{escape(str(title))}">',
        f"<title>{escape(str(title))}</title>",
    ]
    for index, (label, value) in enumerate(rows):
        y = GAP + index * (BAR_HEIGHT + GAP)
        width = round(bar_space * value / peak)
        lines = label_lines(label, width=labels_end - LABEL_PADDING)
        # One line sits level with the bar's number; two sit either side of it.
        first = y + 16 - (len(lines) - 1) * LINE_SPACING / 2
        text = "".join(
            f'<tspan x="{labels_end - 8}" y="{_coordinate(first + n * LINE_SPACING)}">'
            f"{escape(line)}</tspan>"
            for n, line in enumerate(lines)
        )
        parts.append(
            f'<text text-anchor="end" class="chart-label">{text}</text>'
            f'<rect x="{labels_end}" y="{y}" width="{width}" height="{BAR_HEIGHT}"'
            ' class="chart-bar"/>'
            f'<text x="{labels_end + width + 6}" y="{y + 16}" class="chart-value">{value}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


# A chart over time: the plot area inside the SVG's viewBox.
LINE_WIDTH = 800
LINE_HEIGHT = 280
LEFT = 64
RIGHT = 24
TOP = 16
BOTTOM = 44
MAX_X_LABELS = 8
MAX_Y_STEPS = 5


def nice_ceiling(peak):
    """Return (top, step): a round top of the y axis at or above ``peak``, in at most 5 steps.

    Steps are 1, 2 or 5 times a power of ten, and whole numbers: the values are counts.
    """
    if peak <= 0:
        return 1, 1
    step = 1
    while True:
        for factor in (1, 2, 5):
            candidate = step * factor
            if candidate * MAX_Y_STEPS >= peak:
                top = -(-peak // candidate) * candidate
                return top, candidate
        step *= 10


def line_chart(points, *, title, description, format_x=str, format_y=str, chart_id="chart"):
    """Return an SVG line chart of ``points`` [(x, whole number)], in order, x along the bottom.

    ``format_x`` and ``format_y`` write a date and a value in the reader's language. The
    chart has axes, a grid line per y step, a dot per point with its figures as a tooltip,
    and ``title`` and ``description`` as its accessible name and description; the page
    shows the same figures as a table. Presentation attributes only: no style attribute.
    """
    points = list(points)
    plot_width = LINE_WIDTH - LEFT - RIGHT
    plot_height = LINE_HEIGHT - TOP - BOTTOM
    bottom = TOP + plot_height
    top_value, step = nice_ceiling(max((value for _x, value in points), default=0))

    def x_at(index):
        if len(points) < 2:
            return LEFT + plot_width / 2
        return LEFT + plot_width * index / (len(points) - 1)

    def y_at(value):
        return bottom - plot_height * value / top_value

    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    parts = [
        f'<svg class="chart chart-line-chart" role="img" viewBox="0 0 {LINE_WIDTH} {LINE_HEIGHT}"'
        f' width="100%" preserveAspectRatio="xMinYMin meet"'
        f' aria-labelledby="{title_id}" aria-describedby="{desc_id}">',
        f'<title id="{title_id}">{escape(str(title))}</title>',
        f'<desc id="{desc_id}">{escape(str(description))}</desc>',
    ]
    # The y axis: a grid line and a label per step, from 0 to the top.
    for value in range(0, top_value + 1, step):
        y = _coordinate(y_at(value))
        parts.append(
            f'<line class="chart-grid" x1="{LEFT}" y1="{y}" x2="{LEFT + plot_width}" y2="{y}"/>'
            f'<text class="chart-label" x="{LEFT - 8}" y="{y}" text-anchor="end"'
            f' dominant-baseline="middle">{escape(format_y(value))}</text>'
        )
    parts.append(
        f'<line class="chart-axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{bottom}"/>'
        f'<line class="chart-axis" x1="{LEFT}" y1="{bottom}" x2="{LEFT + plot_width}"'
        f' y2="{bottom}"/>'
    )
    # The x axis: at most MAX_X_LABELS dates, evenly spread, always the last one.
    every = max(1, -(-len(points) // MAX_X_LABELS))
    labelled = set(range(len(points) - 1, -1, -every))
    for index, (x_value, _value) in enumerate(points):
        if index in labelled:
            x = _coordinate(x_at(index))
            parts.append(
                f'<line class="chart-axis" x1="{x}" y1="{bottom}" x2="{x}" y2="{bottom + 5}"/>'
                f'<text class="chart-label" x="{x}" y="{bottom + 22}" text-anchor="middle">'
                f"{escape(format_x(x_value))}</text>"
            )
    if points:
        coordinates = " ".join(
            f"{_coordinate(x_at(i))},{_coordinate(y_at(v))}" for i, (_x, v) in enumerate(points)
        )
        parts.append(f'<polyline class="chart-line" points="{coordinates}"/>')
        for index, (x_value, value) in enumerate(points):
            parts.append(
                f'<circle class="chart-point" cx="{_coordinate(x_at(index))}"'
                f' cy="{_coordinate(y_at(value))}" r="3">'
                f"<title>{escape(format_x(x_value))}: {escape(format_y(value))}</title></circle>"
            )
    parts.append("</svg>")
    return "".join(parts)


def _coordinate(number):
    """Write a coordinate with at most one decimal: short, and the same on every machine."""
    return f"{round(number, 1):g}"


# Several series over the same days: each its own color and dash pattern (told apart
# without color too), named in a legend above the plot.
SERIES_STYLES = (
    ("#2563eb", ""),
    ("#d97706", "8 4"),
    ("#059669", "2 4"),
    ("#dc2626", "10 4 2 4"),
    ("#7c3aed", "4 3"),
    ("#0891b2", "1 3"),
)
LEGEND_ROW = 22
LEGEND_CHAR = 7.5  # the width of a character of the legend, roughly, at 13px
MAX_POINTS_WITH_DOTS = 31


def series_chart(days, series, *, title, description, format_x=str, format_y=str, chart_id="chart"):
    """Return an SVG of several lines over ``days``: ``series`` is [(label, values[, style])].

    ``values`` has a whole number per day; ``style`` is (color, dash pattern), by
    default the next of ``SERIES_STYLES``. Each line has its own color and dash
    pattern, named in a legend; up to a month, a dot per day carries its figure
    as a tooltip. Presentation attributes only: no style attribute.
    """
    days = list(days)
    series = [(item[0], list(item[1]), _style(item, index)) for index, item in enumerate(series)]
    # The legend, wrapped into rows that fit the width.
    legend, x, row = [], LEFT, 0
    for index, (label, _values, _s) in enumerate(series):
        width = 34 + len(str(label)) * LEGEND_CHAR + 20
        if x + width > LINE_WIDTH - RIGHT and x > LEFT:
            x, row = LEFT, row + 1
        legend.append((series[index][2], label, x, TOP + row * LEGEND_ROW))
        x += width
    plot_top = TOP + (row + 1) * LEGEND_ROW + 8 if series else TOP
    height = plot_top + (LINE_HEIGHT - TOP - BOTTOM) + BOTTOM
    plot_width = LINE_WIDTH - LEFT - RIGHT
    bottom = height - BOTTOM
    plot_height = bottom - plot_top
    peak = max((value for _label, values, _s in series for value in values), default=0)
    top_value, step = nice_ceiling(peak)

    def x_at(index):
        if len(days) < 2:
            return LEFT + plot_width / 2
        return LEFT + plot_width * index / (len(days) - 1)

    def y_at(value):
        return bottom - plot_height * value / top_value

    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    parts = [
        f'<svg class="chart chart-series-chart" role="img" viewBox="0 0 {LINE_WIDTH} {height}"'
        f' width="100%" preserveAspectRatio="xMinYMin meet"'
        f' aria-labelledby="{title_id}" aria-describedby="{desc_id}">',
        f'<title id="{title_id}">{escape(str(title))}</title>',
        f'<desc id="{desc_id}">{escape(str(description))}</desc>',
    ]
    for (color, dash), label, lx, ly in legend:
        parts.append(
            f'<line class="chart-legend-line" x1="{_coordinate(lx)}" y1="{ly + 7}"'
            f' x2="{_coordinate(lx + 28)}" y2="{ly + 7}" stroke="{color}" stroke-width="3"'
            f"{_dash(dash)}/>"
            f'<text class="chart-label" x="{_coordinate(lx + 34)}" y="{ly + 7}"'
            f' dominant-baseline="middle">{escape(str(label))}</text>'
        )
    for value in range(0, top_value + 1, step):
        y = _coordinate(y_at(value))
        parts.append(
            f'<line class="chart-grid" x1="{LEFT}" y1="{y}" x2="{LEFT + plot_width}" y2="{y}"/>'
            f'<text class="chart-label" x="{LEFT - 8}" y="{y}" text-anchor="end"'
            f' dominant-baseline="middle">{escape(format_y(value))}</text>'
        )
    parts.append(
        f'<line class="chart-axis" x1="{LEFT}" y1="{plot_top}" x2="{LEFT}" y2="{bottom}"/>'
        f'<line class="chart-axis" x1="{LEFT}" y1="{bottom}" x2="{LEFT + plot_width}"'
        f' y2="{bottom}"/>'
    )
    every = max(1, -(-len(days) // MAX_X_LABELS))
    for index in range(len(days) - 1, -1, -every):
        x = _coordinate(x_at(index))
        parts.append(
            f'<line class="chart-axis" x1="{x}" y1="{bottom}" x2="{x}" y2="{bottom + 5}"/>'
            f'<text class="chart-label" x="{x}" y="{bottom + 22}" text-anchor="middle">'
            f"{escape(format_x(days[index]))}</text>"
        )
    dots = len(days) <= MAX_POINTS_WITH_DOTS
    for label, values, (color, dash) in series:
        if not values:
            continue
        coordinates = " ".join(
            f"{_coordinate(x_at(i))},{_coordinate(y_at(v))}" for i, v in enumerate(values)
        )
        parts.append(
            f'<polyline class="chart-series" fill="none" stroke="{color}" stroke-width="2.5"'
            f' stroke-linejoin="round"{_dash(dash)} points="{coordinates}"/>'
        )
        if dots:
            parts.extend(
                f'<circle class="chart-series-point" cx="{_coordinate(x_at(i))}"'
                f' cy="{_coordinate(y_at(v))}" r="3" fill="{color}">'
                f"<title>{escape(str(label))}, {escape(format_x(days[i]))}: "
                f"{escape(format_y(v))}</title></circle>"
                for i, v in enumerate(values)
            )
    parts.append("</svg>")
    return "".join(parts)


def _style(item, index):
    """Return a series' (color, dash pattern): its own third element, else the next style."""
    if len(item) > 2 and item[2]:
        return item[2]
    return SERIES_STYLES[index % len(SERIES_STYLES)]


def _dash(pattern):
    return f' stroke-dasharray="{pattern}"' if pattern else ""
