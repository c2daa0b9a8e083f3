"""Charts drawn on the server as SVG: a picture on the screen with no script and no library.

``bars`` draws one bar per group with its value written on it and a dashed target line; a
bar over the target is amber and says so in words, so colour is never the only sign.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from kiosk import words
from kiosk.words import _

WIDTH, HEIGHT = 1000, 420
LEFT, RIGHT, TOP, BOTTOM = 70, 20, 30, 70


@dataclass(frozen=True)
class Bar:
    label: str  # under the bar
    value: float | None  # None: nothing in this group (no bar, a dash)
    note: str = ""  # under the label (e.g. how many)


def _y(value: float, top: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - value / top)


def bars(groups: list[Bar], *, target: float, unit: str, title: str,
         language: str = words.DEFAULT) -> str:
    """An SVG bar chart of ``groups`` against ``target`` (same unit as the values), its own
    words ("over", "target") in ``language``."""
    values = [g.value for g in groups if g.value is not None]
    top = max([target * 1.5, *values]) * 1.1 if values else target * 1.5
    plot = WIDTH - LEFT - RIGHT
    step = plot / max(1, len(groups))
    width = step * 0.64
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>",
             f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" '
             f'y2="{HEIGHT - BOTTOM}" class="axis"/>']
    for tick in range(0, int(top) + 1, max(1, int(top // 4) or 1)):
        y = _y(tick, top)
        parts.append(f'<text x="{LEFT - 10}" y="{y + 6:.1f}" class="tick">{tick}</text>')
    for i, group in enumerate(groups):
        x = LEFT + step * i + (step - width) / 2
        centre = x + width / 2
        if group.value is not None:
            over = group.value > target
            y = _y(group.value, top)
            height = HEIGHT - BOTTOM - y
            word = " " + words.say(_("over"), language) if over else ""
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" '
                         f'height="{max(height, 1):.1f}" class="bar{" over" if over else ""}">'
                         f"<title>{escape(group.label)}: {group.value:.1f} {escape(unit)}"
                         f"{word}</title></rect>")
            parts.append(f'<text x="{centre:.1f}" y="{y - 8:.1f}" class="value">'
                         f"{group.value:.1f}{'!' if over else ''}</text>")
        else:
            parts.append(f'<text x="{centre:.1f}" y="{HEIGHT - BOTTOM - 8}" class="value">–</text>')
        parts.append(f'<text x="{centre:.1f}" y="{HEIGHT - BOTTOM + 28}" class="label">'
                     f"{escape(group.label)}</text>")
        if group.note:
            parts.append(f'<text x="{centre:.1f}" y="{HEIGHT - BOTTOM + 56}" class="note">'
                         f"{escape(group.note)}</text>")
    y = _y(target, top)
    parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
                 'class="target"/>')
    said = words.say(_("target {target} {unit}", target=format(target, "g"), unit=unit),
                     language)
    parts.append(f'<text x="{WIDTH - RIGHT}" y="{y - 8:.1f}" class="target-label">'
                 f"{escape(str(said))}</text>")
    parts.append("</svg>")
    return "".join(parts)
