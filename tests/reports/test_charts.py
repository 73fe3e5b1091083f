"""The line chart over time: well-formed SVG inside its box, for any series."""

import xml.etree.ElementTree as ET
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from reports import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg):
    # The markup is inline in HTML (no namespace); parse it as SVG to check it is well formed.
    return ET.fromstring(  # noqa: S314 - our own markup
        svg.replace("<svg ", f'<svg xmlns="{SVG[1:-1]}" ', 1)
    )


def series(values, start=date(2026, 11, 1)):
    return [(start + timedelta(days=n), value) for n, value in enumerate(values)]


def draw(points, **kwargs):
    return charts.line_chart(
        points,
        title="Active users",
        description="People who signed in, per day",
        format_x=lambda day: day.strftime("%d-%m"),
        **kwargs,
    )


def numbers(element, *names):
    return [float(element.get(name)) for name in names]


def assert_inside_the_box(root):
    for element in root.iter():
        assert element.get("style") is None  # the page's CSP allows no inline style
        for name in ("x", "x1", "x2", "cx"):
            if element.get(name) is not None:
                assert 0 <= float(element.get(name)) <= charts.LINE_WIDTH
        for name in ("y", "y1", "y2", "cy"):
            if element.get(name) is not None:
                assert 0 <= float(element.get(name)) <= charts.LINE_HEIGHT


@given(st.lists(st.integers(min_value=0, max_value=10**9), max_size=120))
def test_any_series_draws_well_formed_svg_inside_its_box(values):
    root = parse(draw(series(values)))
    assert root.find(f"{SVG}title").text == "Active users"
    assert root.find(f"{SVG}desc").text == "People who signed in, per day"
    assert root.get("aria-labelledby") == "chart-title"
    assert root.get("aria-describedby") == "chart-desc"
    assert len(root.findall(f"{SVG}circle")) == len(values)
    assert_inside_the_box(root)
    dates = [t.text for t in root.findall(f"{SVG}text") if t.get("text-anchor") == "middle"]
    assert len(dates) <= charts.MAX_X_LABELS
    if values:
        # The last day is always named under the axis.
        assert dates[-1] == series(values)[-1][0].strftime("%d-%m")


@given(st.integers(min_value=0, max_value=10**12))
def test_the_y_axis_top_is_a_round_number_at_or_above_the_peak(peak):
    top, step = charts.nice_ceiling(peak)
    assert top >= peak and top % step == 0
    assert 1 <= top // step <= charts.MAX_Y_STEPS
    assert int(str(step)[0]) in (1, 2, 5) and set(str(step)[1:]) <= {"0"}


def test_an_empty_series_draws_axes_and_no_line():
    root = parse(draw([]))
    assert root.find(f"{SVG}polyline") is None
    assert root.findall(f"{SVG}circle") == []
    assert [t.text for t in root.findall(f"{SVG}text")] == ["0", "1"]


def test_one_point_sits_in_the_middle():
    root = parse(draw(series([4])))
    (point,) = root.findall(f"{SVG}circle")
    assert numbers(point, "cx") == [charts.LEFT + (charts.LINE_WIDTH - 64 - 24) / 2]
    assert point.find(f"{SVG}title").text == "01-11: 4"


def test_all_zeros_lie_on_the_x_axis():
    root = parse(draw(series([0] * 30)))
    bottom = charts.LINE_HEIGHT - charts.BOTTOM
    assert {float(c.get("cy")) for c in root.findall(f"{SVG}circle")} == {bottom}


def test_large_values_are_written_by_format_y():
    svg = draw(series([1_250_000, 3_000_000]), format_y=lambda n: f"{n:,}".replace(",", "."))
    assert ">3.000.000<" in svg  # the y axis tops at 3 million, in the given format
    assert "02-11: 3.000.000" in svg


def test_text_is_escaped():
    svg = charts.line_chart([("<b>", 1)], title="A & B", description="<i>", format_x=str)
    assert "<b>" not in svg and "&lt;b&gt;" in svg and "A &amp; B" in svg


def label_texts(root):
    return [
        ["".join(span.itertext()) for span in text.findall(f"{SVG}tspan")]
        for text in root.findall(f"{SVG}text")
        if text.get("class") == "chart-label"
    ]


def test_the_bar_label_area_fits_the_longest_label():
    short = parse(charts.bar_chart([("Admins", 3), ("Users", 9)], title="t"))
    dutch = "Beheerders die niet zelf opnieuw kunnen instellen"
    long = parse(charts.bar_chart([(dutch, 8), ("Users", 201)], title="t"))
    bars = [float(rect.get("x")) for rect in long.findall(f"{SVG}rect")]
    # The bars start after the longest label, however long it is, and no earlier.
    assert bars[0] >= len(dutch) * charts.LABEL_CHAR
    assert float(short.find(f"{SVG}rect").get("x")) < bars[0]
    assert label_texts(long) == [[dutch], ["Users"]]


def test_a_bar_label_too_long_for_one_line_takes_two_between_its_words():
    label = (
        "Gebruikers die hun eigen wachtwoord niet zelf opnieuw kunnen instellen"
        " omdat ze geen methode hebben"
    )
    root = parse(charts.bar_chart([(label, 5)], title="t"))
    ((first, second),) = label_texts(root)
    assert f"{first} {second}" == label
    assert len(first) * charts.LABEL_CHAR <= charts.MAX_LABEL_WIDTH
    rect = root.find(f"{SVG}rect")
    assert float(rect.get("x")) <= charts.MAX_LABEL_WIDTH
    # Every bar and its number still fit the chart.
    assert float(rect.get("x")) + float(rect.get("width")) + charts.VALUE_SPACE <= (
        charts.CHART_WIDTH
    )


@given(
    st.lists(
        st.tuples(
            st.text(st.characters(min_codepoint=32, max_codepoint=0x2FFF), max_size=120),
            st.integers(0, 10**6),
        ),
        max_size=6,
    )
)
def test_any_bars_draw_well_formed_svg_inside_their_box(rows):
    root = parse(charts.bar_chart(rows, title="Bars"))
    for element in [*root.iter(f"{SVG}rect"), *root.iter(f"{SVG}tspan"), *root.iter(f"{SVG}text")]:
        assert element.get("style") is None
        for name in ("x", "width"):
            if element.get(name) is not None:
                assert 0 <= float(element.get(name)) <= charts.CHART_WIDTH
