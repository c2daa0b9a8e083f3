"""The bench scale at a kiosk: its live weight on a weigh step, and the reading a step takes.

The scale is read here, on the server, never by the screen: "Take reading" posts only that
it wants one, and ``reading_for`` puts what the scale said into the answer the engine gets.
A weight typed into a form therefore cannot pass for the scale's (the answer's fields are
read by name, and the reading's field is not one a form may send).
"""

from __future__ import annotations

import threading

from flask import Blueprint, current_app, render_template, request

from kiosk.hardware.scale import Scale, open_scale
from kiosk.views.home import login_required

bp = Blueprint("scale", __name__, url_prefix="/scale")

LIVE_POLLS = 120  # a second apart: the live weight stops after two minutes until tapped again
_scales: dict[str, Scale] = {}
_opening = threading.Lock()


def device() -> Scale:
    """This process's scale for the ``scale`` setting (opened at its first reading)."""
    url = str(current_app.config["KIOSK"].get("scale") or "none")
    with _opening:
        found = _scales.get(url)
        if found is None:
            found = _scales[url] = open_scale(url)
    return found


def reading_for(answer: dict) -> None:
    """When the screen asked for the scale's reading, read the scale into the answer."""
    if answer.get("source") == "scale":
        answer["scale"] = device().read().as_dict()


@bp.get("/live")
@login_required()
def live():
    """The weight on the scale now (a fragment that asks for the next one a second later)."""
    try:
        polls = min(max(int(request.args.get("n", "0")), 0), LIVE_POLLS)
    except ValueError:
        polls = 0
    reading = device().peek()
    return render_template("_scale_live.html", reading=reading.as_dict(),
                           stable=reading.stable, next=polls + 1, more=polls < LIVE_POLLS)
