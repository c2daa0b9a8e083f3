"""The end-of-day report's charts, drawn by pygal as SVG on the server.

SVG because one drawing then serves the manager's screen (inlined in the page) and the PDF
(WeasyPrint draws the same SVG), with no script in the browser and no image files to keep.
pygal writes plain SVG in pure Python; each chart is a few milliseconds. The charts carry no
script (pygal's tooltips load one from the internet, which the kiosk never does, and the
page's policy allows no inline script) and print their values on the bars, since a printed
page has no tooltip.
"""

from __future__ import annotations

import sys

import pygal
from pygal.style import Style

from kiosk import words
from kiosk.words import _

# pygal appends an import hook for its map plugins (pygal.maps.*, which the kiosk never
# uses) that only has the find_module Python dropped; every import that misses then warns
# (ImportWarning) from anywhere in the process. Taken out again here.
sys.meta_path[:] = [f for f in sys.meta_path
                    if not (type(f).__module__ == "pygal" and not hasattr(f, "find_spec"))]

STYLE = Style(background="white", plot_background="white", foreground="#111111",
              foreground_strong="#111111", foreground_subtle="#55554f",
              colors=("#0b3a80", "#b07d00"), font_family="DejaVu Sans, sans-serif",
              title_font_size=22, label_font_size=16, major_label_font_size=16,
              value_font_size=16, legend_font_size=16, tooltip_font_size=16)


def _without_scripts(root):
    """pygal writes its settings into a script even with no script to read them; the page's
    policy forbids inline scripts, and a chart needs none."""
    for parent in root.iter():
        for child in [c for c in parent if str(c.tag).endswith("script")]:
            parent.remove(child)
    return root


COMMON = {"style": STYLE, "js": (), "disable_xml_declaration": True, "print_values": True,
          "width": 960, "margin": 16, "truncate_label": 34, "show_y_guides": False,
          "explicit_size": False}


def _svg(chart) -> str:
    chart.add_xml_filter(_without_scripts)
    return chart.render(is_unicode=True)


def _number(value) -> float:
    return round(float(value), 1)


def fastest(rows: list[dict], language: str = words.DEFAULT) -> str | None:
    """The fastest sellers: units sold a day over the week, one bar each (None: no sales);
    its words in ``language``."""
    if not rows:
        return None
    chart = pygal.HorizontalBar(height=90 + 44 * len(rows), show_legend=False,
                                title=words.say(_("Fastest sellers: units a day, last 7 days"),
                                                language),
                                value_formatter=lambda v: f"{v:g}", **COMMON)
    chart.x_labels = [r["item"] for r in reversed(rows)]
    chart.add(words.say(_("Units a day"), language),
              [_number(r["per_day"]) for r in reversed(rows)])
    return _svg(chart)


def slowest(rows: list[dict], language: str = words.DEFAULT) -> str | None:
    """The slowest sellers in stock: units each sold in the week (its stock is in the table:
    stock in grams beside stock in units would share no scale)."""
    if not rows:
        return None
    title = _("Slowest sellers in stock: units sold, last 7 days")
    chart = pygal.HorizontalBar(height=90 + 44 * len(rows), show_legend=False,
                                title=words.say(title, language),
                                value_formatter=lambda v: f"{v:g}", **COMMON)
    chart.x_labels = [r["item"] for r in reversed(rows)]
    chart.add(words.say(_("Sold in 7 days"), language),
              [_number(r["week"]) for r in reversed(rows)])
    return _svg(chart)


def by_hour(hours: dict[int, object], language: str = words.DEFAULT) -> str | None:
    """Units sold in each hour of the day, from the first hour with a sale to the last."""
    if not hours:
        return None
    span = range(min(hours), max(hours) + 1)
    chart = pygal.Bar(height=380, show_legend=False,
                      title=words.say(_("Units sold by hour"), language),
                      value_formatter=lambda v: f"{v:g}" if v else "", **COMMON)
    chart.x_labels = [f"{h:02d}:00" for h in span]
    chart.add(words.say(_("Units sold"), language),
              [_number(hours.get(h, 0)) for h in span])
    return _svg(chart)
