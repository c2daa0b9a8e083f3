"""The manager's screen of a day's reconciliation: both sides' sales and their freshness,
the opening and closing checks with every difference and how it was settled, the closing
count, the waiting messages explained, and a button to pull the day's sales again now."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, render_template, request

from kiosk import clock, counts, day_status, variances
from kiosk import reconciliation as recon
from kiosk.sync import sales_pulls
from kiosk.views.home import login_required

bp = Blueprint("reconciliation", __name__, url_prefix="/manager/reconciliation")


def _day() -> dt.date:
    """The sales day asked for (yesterday's by default: this morning's opening)."""
    default = clock.store_date() - dt.timedelta(days=1)
    try:
        return dt.date.fromisoformat(request.values.get("day") or default.isoformat())
    except ValueError:
        return default


def _page(day: dt.date, notice: str = "", tone: str = "ok"):
    template = ("reconciliation/_day.html" if request.headers.get("HX-Request")
                else "reconciliation/day.html")
    return render_template(template, s=day_status.day(day), notice=notice, tone=tone,
                           today=clock.store_date(), timedelta=dt.timedelta, **WORDS)


# Days, times, figures and states in the screen's language (phrases: the template says them).
WORDS = {"day_words": recon.day_words, "at_words": recon.day_time_words,
         "amount_text": recon.amount_text, "count_status_words": counts.STATUS_WORDS,
         "variance_words": variances.STATE_WORDS}


@bp.get("")
@login_required(roles=("manager",))
def screen():
    """One day's reconciliation."""
    return _page(_day())


@bp.post("/pull")
@login_required(roles=("manager",))
def pull():
    """Pull the day's Metrc receipts and POS sales again now."""
    day = _day()
    said = sales_pulls.pull_day(current_app.config["KIOSK"], day)
    return _page(day, said, "error" if "did not answer" in said else "ok")
