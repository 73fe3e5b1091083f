"""Bar charts as inline SVG, drawn on the server: readable without color or JavaScript."""

from html import escape

BAR_HEIGHT = 22
GAP = 8
LABEL_WIDTH = 300
CHART_WIDTH = 800


def bar_chart(rows, *, title):
    """Return an SVG of horizontal bars for ``rows`` [(label, value)], values written out.

    Every bar carries its number as text, so the chart reads without telling
    colors apart; the table under it has the same figures.
    """
    rows = list(rows)
    peak = max((value for _label, value in rows), default=0) or 1
    bar_space = CHART_WIDTH - LABEL_WIDTH - 60
    height = max(len(rows), 1) * (BAR_HEIGHT + GAP) + GAP
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {CHART_WIDTH} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" aria-label="{escape(str(title))}">',
        f"<title>{escape(str(title))}</title>",
    ]
    for index, (label, value) in enumerate(rows):
        y = GAP + index * (BAR_HEIGHT + GAP)
        width = round(bar_space * value / peak)
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 16}" text-anchor="end" class="chart-label">'
            f"{escape(str(label))}</text>"
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width}" height="{BAR_HEIGHT}"'
            ' class="chart-bar"/>'
            f'<text x="{LABEL_WIDTH + width + 6}" y="{y + 16}" class="chart-value">{value}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
