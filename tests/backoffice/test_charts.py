"""The back office's SVG charts: well-formed, readable without colour, figures in the text."""

import xml.etree.ElementTree as ET
from datetime import date

from django.utils import translation

from backoffice.charts import Bar
from backoffice.charts import bar_chart
from backoffice.charts import funnel_chart
from backoffice.charts import line_chart
from backoffice.charts import nice_ceiling

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg):
    return ET.fromstring(str(svg))


def texts(root):
    return [element.text for element in root.iter(f"{SVG}text")]


def test_axis_ceilings_are_round_numbers():
    assert [nice_ceiling(v) for v in (0, 1, 3, 7, 12, 480, 1400, 12000)] == [
        1,
        1,
        5,
        10,
        20,
        500,
        2000,
        20000,
    ]


def test_a_line_chart_draws_every_point_and_the_target():
    points = [(date(2026, month, 1), month * 100) for month in range(1, 7)]

    root = parse(line_chart(points, title="Members", target=12000, target_label="On the roster"))

    polyline = root.find(f"{SVG}polyline")
    assert len(polyline.get("points").split()) == 6
    assert root.find(f"{SVG}line[@class='target']") is not None
    assert "On the roster 12,000" in texts(root)
    assert "600" in texts(root)  # the last value is written next to the line
    assert root.find(f"{SVG}title").text == "Members"
    assert "June 2026: 600" in root.find(f"{SVG}desc").text


def test_the_line_rises_with_the_figures():
    points = [(date(2026, 1, 1), 10), (date(2026, 2, 1), 500)]
    root = parse(line_chart(points, title="Members"))
    (x1, y1), (x2, y2) = (
        map(float, pair.split(",")) for pair in root.find(f"{SVG}polyline").get("points").split()
    )
    assert x2 > x1
    assert y2 < y1  # SVG's y grows downwards


def test_an_empty_line_chart_still_renders():
    root = parse(line_chart([], title="Members"))
    assert root.find(f"{SVG}polyline") is None
    assert root.find(f"{SVG}desc").text == "No data yet"


def test_bars_are_proportional_and_labels_are_escaped():
    root = parse(
        bar_chart(
            [Bar("Kenya", 200, note="40%"), Bar("Côte d'Ivoire <script>", 100, highlight=True)],
            title="By country",
        )
    )

    widths = [float(rect.get("width")) for rect in root.iter(f"{SVG}rect")]
    assert widths[0] == 2 * widths[1]
    assert "Côte d'Ivoire <script>" in texts(root)  # escaped in the source, text when parsed
    assert "200 · 40%" in texts(root)
    highlighted = list(root.iter(f"{SVG}rect"))[1]
    assert highlighted.get("stroke-dasharray")  # visible without colour, in print too


def test_a_funnel_gives_each_stage_its_share_of_the_first():
    root = parse(
        funnel_chart([("Invited", 400), ("Delivered", 380), ("Accepted", 100)], title="Wave")
    )

    assert texts(root)[1::2] == ["400", "380 · 95%", "100 · 25%"]


def test_gridlines_fall_on_round_figures():
    small = texts(parse(line_chart([(date(2026, 1, 1), 34)], title="Members")))
    large = texts(parse(line_chart([(date(2026, 1, 1), 1400)], title="Members")))

    assert small[:6] == ["0", "10", "20", "30", "40", "50"]
    assert large[:5] == ["0", "500", "1,000", "1,500", "2,000"]


def test_figures_and_months_are_written_as_the_readers_language_writes_them():
    points = [(date(2026, 6, 1), 1200), (date(2026, 7, 1), 1500)]
    with translation.override("fr"):
        root = parse(line_chart(points, title="Membres", target=12000, target_label="Inscrits"))

    assert "Inscrits 12\N{NO-BREAK SPACE}000" in texts(root)
    assert {"juin 2026", "juil. 2026"} <= set(texts(root))
    assert "1\N{NO-BREAK SPACE}500" in texts(root)
