"""Charts as SVG, declared with pygal and rendered on the server.

pygal lays out the geometry; this module only declares each chart (labels, values,
links, axis titles) and makes pygal's output fit a page that runs no inline script or
style: its ``<script>``, ``<style>`` and script-driven tooltip layer are removed, the
chart is styled by ``static/css/charts.css`` (the same rules travel inside a downloaded
SVG), and it gets a ``<title>``, a ``<desc>`` and a native tooltip on each bar.

pygal rather than Vega-Lite rendered by vl-convert: vl-convert measures each piece of
text in its JavaScript runtime at 2–5 ms apiece, so the insights page's ten figures took
about a second to draw; pygal draws one in about 10 ms.
"""

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import cache
from unicodedata import east_asian_width

import pygal
import pygal.style
from django.conf import settings
from django.utils.translation import gettext as _
from pygal.etree import etree as pygal_etree

# pygal writes un-prefixed tags under an explicit xmlns attribute, and links in the
# xlink namespace, which ElementTree should call by its usual name.
XLINK = "http://www.w3.org/1999/xlink"
ET.register_namespace("xlink", XLINK)
# pygal builds with lxml when it is installed; this module edits ElementTree elements.
pygal_etree.to_etree()

# Okabe and Ito's palette, distinguishable with any common colour-vision deficiency.
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00")
WIDTH = 440  # the viewBox: on a 390 px phone the text stays about 12 px high
BAR_HEIGHT = 26
MARGIN = 12
UNWANTED = {"script", "style", "title"}
LABEL_WIDTH = 15  # ems: longer names are shortened on the axis, whole in the tooltip
FONT_SIZE = 14  # the axis labels', as charts.css draws them


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    link: str | None = None


@dataclass(frozen=True)
class Series:
    name: str
    bars: tuple[Bar, ...]


def bar_chart(*, chart_id: str, title: str, description: str, bars, axis_title: str):
    """Horizontal bars, largest first from the top."""
    bars = list(bars)
    labels = [_short(bar.label) for bar in reversed(bars)]  # first at the bottom
    chart = _chart(
        pygal.HorizontalBar,
        height=70 + BAR_HEIGHT * max(len(bars), 1),
        x_title=axis_title,
        show_legend=False,
        margin_left=MARGIN + _room_missing(labels),
    )
    chart.x_labels = labels
    chart.add(axis_title, [_value(bar) for bar in reversed(bars)])
    return _finish(chart, chart_id=chart_id, title=title, description=description)


def stacked_column_chart(
    *, chart_id: str, title: str, description: str, categories, series, axis_title
):
    """Columns by category (years), each stacked from its series."""
    chart = _chart(
        pygal.StackedBar, height=320, y_title=axis_title, legend_at_bottom=True
    )
    chart.x_labels = list(categories)
    for one in series:
        chart.add(one.name, [_value(bar) for bar in one.bars])
    return _finish(chart, chart_id=chart_id, title=title, description=description)


def standalone(svg: str) -> str:
    """The chart as a file of its own: an XML declaration and the page's chart styles
    inside it, so it looks the same in a report."""
    style = f"<style>{_chart_css()}</style>"
    head, _sep, rest = svg.partition(">")
    return f'<?xml version="1.0" encoding="utf-8"?>\n{head}>{style}{rest}'


@cache
def _chart_css() -> str:
    return (settings.BASE_DIR / "static" / "css" / "charts.css").read_text("utf-8")


# pygal reserves room for labels from these sizes; charts.css draws them at the same.
STYLE = pygal.style.Style(
    label_font_size=FONT_SIZE,
    major_label_font_size=FONT_SIZE,
    title_font_size=13,
    legend_font_size=13,
    value_font_size=13,
    tooltip_font_size=13,
    no_data_font_size=16,
)


def _chart(kind, **options):
    return kind(
        style=STYLE,
        max_scale=6,
        width=WIDTH,
        js=[],
        css=[],
        no_prefix=True,
        disable_xml_declaration=True,
        show_y_guides=False,
        print_values=False,
        margin=MARGIN,
        margin_right=24,  # room for the last tick's label
        spacing=8,
        colors=PALETTE,
        **options,
    )


def _ems(text: str) -> float:
    """About how wide a text is: Japanese characters are a full em, Latin ones about
    half. pygal counts every character as 0.6 em, which crops Japanese labels."""
    return sum(1.0 if east_asian_width(c) in "WF" else 0.55 for c in text)


def _short(label: str) -> str:
    if _ems(label) <= LABEL_WIDTH:
        return label
    while _ems(label) > LABEL_WIDTH - 1:
        label = label[:-1]
    return label.rstrip() + "…"


def _room_missing(labels) -> float:
    """The width pygal's estimate leaves out for the widest label, in pixels."""
    if not labels:
        return 0
    reserved = 0.6 * max(len(label) for label in labels)
    return max(0.0, max(_ems(label) for label in labels) - reserved) * FONT_SIZE


def _value(bar: Bar) -> dict:
    value = {"value": bar.value, "label": bar.label}
    if bar.link:
        value["xlink"] = {"href": bar.link, "target": "_self"}
    return value


def _finish(chart, *, chart_id: str, title: str, description: str) -> str:
    root = chart.render_tree()
    root.set("id", chart_id)
    root.set("role", "img")
    root.set("aria-labelledby", f"{chart_id}-title {chart_id}-desc")
    for name in ("width", "height"):
        root.attrib.pop(name, None)
    # Script, inline style and the script-driven tooltip layer would be refused by the
    # Content-Security-Policy; pygal's own title is "Pygal". pygal puts them at the top
    # of the tree, and its comments beside them.
    for parent in (root, root.find("defs"), *root.iterfind("g")):
        for child in list(parent if parent is not None else ()):
            if _unwanted(child):
                parent.remove(child)
    for link in root.iter("a"):
        _annotate_bar(link)
    heading = ET.Element("title", id=f"{chart_id}-title")
    heading.text = title
    summary = ET.Element("desc", id=f"{chart_id}-desc")
    summary.text = description
    root.insert(0, summary)
    root.insert(0, heading)
    return ET.tostring(root, encoding="unicode")


def _unwanted(element) -> bool:
    return (
        not isinstance(element.tag, str)  # a comment
        or element.tag in UNWANTED
        or "tooltip-overlay" in (element.get("class") or "")
    )


def _annotate_bar(link):
    """A native tooltip ("Name: 12 agreements") and no second tab stop: the table
    under each chart carries the same links for the keyboard."""
    label = value = ""
    for child in list(link):
        kind = child.get("class")
        if kind == "label":
            label = child.text or ""
        elif kind == "value":
            value = child.text or ""
        if child.tag == "desc":
            link.remove(child)
    link.set("tabindex", "-1")
    tooltip = ET.Element("title")
    tooltip.text = _("%(label)s: %(count)s") % {"label": label, "count": value}
    link.insert(0, tooltip)
