"""On-screen previews drawn from the same layouts the printers get.

A label preview is the ``Label`` from ``labels.build`` (the very object ``zpl.to_zpl``
prints) drawn as HTML: positions in percent of the stock, type sized in container units,
barcodes as SVG bars from the same Code 128 plan and module width the printer uses. The
DataMatrix is drawn as its outline and finder pattern at its printed size (the kiosk does
not carry a DataMatrix encoder; the printer makes the symbol). A slip preview is the slip's
lines from ``slips.build`` in a receipt-width monospace column. No network, no files.
"""

from __future__ import annotations

from html import escape

from kiosk import printer_words as w
from kiosk.hardware import labels, slips
from kiosk.hardware.zpl import dots_per_mm
from kiosk.words import say

SQUEEZE = 0.8  # screen condensed sans vs the printer's font 0, by eye on rendered labels


def _pct(value: float, whole: float) -> str:
    return f"{value / whole * 100:.3f}%"


def _bars_svg(modules: str, quiet: int = 0) -> str:
    """SVG bars for a module string, scaled to the box it is placed in."""
    total = len(modules) + 2 * quiet
    rects, i = [], 0
    while i < len(modules):
        if modules[i] == "1":
            start = i
            while i < len(modules) and modules[i] == "1":
                i += 1
            rects.append(f'<rect x="{start + quiet}" y="0" width="{i - start}" height="1"/>')
        else:
            i += 1
    return (f'<svg viewBox="0 0 {total} 1" preserveAspectRatio="none" '
            f'width="100%" height="100%" aria-hidden="true">{"".join(rects)}</svg>')


def _matrix_svg(grid: int) -> str:
    """The DataMatrix finder: solid left and bottom edges, dotted top and right edges."""
    cells = [f'<rect x="0" y="0" width="1" height="{grid}"/>',
             f'<rect x="0" y="{grid - 1}" width="{grid}" height="1"/>']
    for k in range(0, grid, 2):
        cells.append(f'<rect x="{k}" y="0" width="1" height="1"/>')
        cells.append(f'<rect x="{grid - 1}" y="{grid - 1 - k}" width="1" height="1"/>')
    return (f'<svg viewBox="0 0 {grid} {grid}" width="100%" height="100%" role="img" '
            f'aria-label="DataMatrix">{"".join(cells)}'
            f'<rect x="2" y="1" width="{grid - 3}" height="{grid - 3}" fill="#bbb"/></svg>')


def label_html(label: labels.Label, dpi: int = 203) -> str:
    """HTML for a laid-out label at the printer's density (barcode modules snap to dots)."""
    stock, dpmm = label.stock, dots_per_mm(dpi)
    # A fixed screen width (not 100%) so the preview keeps its size inside flex rows.
    screen_px = 480 if stock.small else 360
    parts = [f'<div class="label-preview" data-layout="{escape(label.layout)}" '
             f'data-stock="{stock.name}" style="position:relative;width:{screen_px}px;'
             f'max-width:100%;aspect-ratio:{stock.width}/{stock.height};background:#fff;color:#000;'
             'container-type:inline-size;overflow:hidden;border:1px solid #888;'
             'border-radius:2cqw;font-family:\'Roboto Condensed\',\'Arial Narrow\','
             '\'DejaVu Sans Condensed\',\'Liberation Sans Narrow\',sans-serif;'
             'font-stretch:condensed;font-weight:700;line-height:1">']

    def box(x, y, w, h, inner="", extra="", attrs=""):
        return (f'<div{attrs} style="position:absolute;left:{_pct(x, stock.width)};'
                f'top:{_pct(y, stock.height)};width:{_pct(w, stock.width)};'
                f'height:{_pct(h, stock.height)};{extra}">{inner}</div>')

    for item in label.items:
        if isinstance(item, labels.Box):
            parts.append(box(item.x, item.y, item.w, item.h, extra="background:#000"))
        elif isinstance(item, labels.Text):
            size = f"{item.size / stock.width * 100:.3f}cqw"
            colour = "#fff" if item.reverse else "#000"
            # The printer's font 0 is narrower than screen fonts: squeeze to match its width.
            inner = (f'<span style="display:inline-block;transform:scaleX({SQUEEZE});'
                     f'transform-origin:0 0">{escape(item.text)}</span>')
            parts.append(box(item.x, item.y, item.w, item.size * 1.15, inner,
                             f"font-size:{size};color:{colour};white-space:nowrap;"
                             "overflow:hidden"))
        elif isinstance(item, labels.Bars):
            module, left = item.fit(dpmm)
            width = len(item.symbol.modules) * module / dpmm
            parts.append(box(left / dpmm, item.y, width, item.h,
                             _bars_svg(item.symbol.modules),
                             attrs=f' data-barcode="{escape(item.symbol.text)}"'))
        elif isinstance(item, labels.Matrix):
            side = item.grid() * item.module(dpmm) / dpmm
            parts.append(box(item.x, item.y, side, side, _matrix_svg(item.grid()),
                             attrs=f' data-matrix="{escape(item.data)}"'))
    parts.append("</div>")
    return "".join(parts)


def slip_html(lines: list, columns: int = slips.COLUMNS) -> str:
    """HTML for a slip's lines: a receipt-wide monospace column, each line as printed.

    The column holds exactly ``columns`` characters (its padding outside them) and lines
    never wrap: a slip's line is built to the paper's width, so a wrapped line on screen
    would show a slip the printer never prints."""
    out = [f'<div class="slip-preview" style="box-sizing:content-box;width:{columns}ch;'
           'background:#fff;color:#000;font-family:\'DejaVu Sans Mono\',monospace;'
           'padding:1ch 2ch;border:1px solid #888;white-space:pre;overflow-x:auto;'
           'line-height:1.3">']
    for line in lines:
        if isinstance(line, slips.Line):
            style = f"text-align:{line.align};"
            style += "font-weight:700;" if line.bold else ""
            style += "font-size:200%;" if line.big else ""
            out.append(f'<div style="{style}">{escape(line.text) or "&nbsp;"}</div>')
        elif isinstance(line, slips.Pair):
            weight = "font-weight:700" if line.bold else ""
            out.append(f'<div style="{weight}">{escape(slips.pair_text(line, columns))}</div>')
        elif isinstance(line, slips.Rule):
            out.append(f"<div>{escape(line.char * columns)}</div>")
        elif isinstance(line, slips.Feed):
            out.append("<div>&nbsp;</div>" * line.lines)
        elif isinstance(line, slips.Code):
            symbol = slips.code_symbol(line)
            if symbol is None:
                out.append(f'<div style="text-align:center">{escape(line.data)}</div>')
                continue
            width = len(symbol.modules) * slips.MODULE_DOTS / slips.PRINT_WIDTH_DOTS * 100
            out.append(f'<div data-barcode="{escape(line.data)}" style="height:4em;'
                       f'margin:.3em auto;width:{width:.1f}%">{_bars_svg(symbol.modules)}</div>'
                       f'<div style="text-align:center">{escape(line.data)}</div>')
    out.append("</div>")
    return "".join(out)


def render_html(layout: str, data: dict | None, settings: dict, training: bool = False,
                language: str = "en") -> str:
    """The preview for a label or slip layout with ``data``, as the configured printer would
    print it. A layout that cannot be drawn gives a sentence saying why, not an exception."""
    training = training or bool(settings.get("training"))
    try:
        if layout in labels.LAYOUTS and isinstance((data or {}).get("labels"), list):
            return "".join(render_html(layout, each if isinstance(each, dict) else {}, settings,
                                       training, language) for each in data["labels"])
        if layout in labels.LAYOUTS:
            label = labels.build(layout, data or {}, str(settings.get("label_stock", "2x1")),
                                 training, language)
            return label_html(label, int(settings.get("label_dpi", 203)))
        if layout in slips.SLIPS:
            return slip_html(slips.build(layout, data or {}, settings, training, language))
        raise labels.LayoutError(w.filled(w.NO_LAYOUT, layout=repr(layout)))
    except (labels.LayoutError, slips.SlipError, ValueError) as exc:
        problem = exc.args[0] if len(exc.args) == 1 and isinstance(exc.args[0], str) \
            else str(exc)
        said = say(w.filled(w.CANNOT_SHOW, problem=problem), language)
        return f'<p class="preview-error">{escape(str(said))}</p>'


def job_html(job, settings: dict) -> str:
    """The preview of a PrintJob (its layout, data and training flag), in the language it
    prints in."""
    from kiosk.hardware.queue import requester_language

    return render_html(job.layout, job.data or {}, settings, bool(job.training),
                       requester_language(job, settings))
