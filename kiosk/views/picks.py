"""The pick queue's screens: the live queue on the vault screen, claiming, the sales floor's
restock request, and the manager's live view.

Keeping many screens current without a thread each. Waitress answers every server process
with two threads, so a screen that held a request open until something changed would take a
thread from the scanners for as long as it is open. Instead a small server of its own tells
every open queue screen the queue's new version the moment it changes (``kiosk.pick_events``),
and the screen then asks here "changed since version V?" and gets the new fragment. That
question is answered before Flask is reached (``ChangesOnly``): one read of the newest queue
event's id, and an empty answer when nothing changed, with no session and no template. A
screen that cannot hear the changes asks every few seconds instead. The figures (latency on
twenty screens, scan times with and without them) are in bench/bench_picks.py.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    make_response,
    render_template,
    request,
    url_for,
)

from kiosk import (
    charts,
    clock,
    db,
    engine,
    limits,
    pick_events,
    pick_queue,
    pick_times,
    picks,
    workflows,
)
from kiosk.models import Item, Station
from kiosk.models.picks import PickRequest
from kiosk.views import language
from kiosk.views.home import SECURITY_HEADERS, feedback, go, login_required, station
from kiosk.words import Phrase, _, joined, n_

bp = Blueprint("picks", __name__, url_prefix="/picks")

# How often an open queue screen asks whether the queue changed: besides being told (the
# stream is out of reach, or a change slipped between two messages), or when nothing tells it.
POLL_MS_TOLD, POLL_MS_ALONE = 5000, 250
LIVE_PATHS = ("/picks/live", "/picks/manager/live")
RUNNERS = ("runner", "vault", "manager")  # who may claim (the pick workflow's roles)
MAX_NOTE = 200
# "Nothing changed": an empty 200 that tells htmx to leave the screen as it is. Not a 204:
# waitress closes the connection after every 204 or 304, and a screen would then open a new
# one four times a second.
UNCHANGED = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", "0"),
             ("Cache-Control", "no-store"), ("HX-Reswap", "none")]


class ChangesOnly:
    """WSGI middleware: a queue screen's "changed since V?" answered without Flask when the
    answer is no. A version marked stale (a claim to hand back) always goes through, so the
    view can hand it back."""

    def __init__(self, app, settings: dict):
        self.app, self.settings = app, settings

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") in LIVE_PATHS and environ.get("REQUEST_METHOD") == "GET":
            since = dict(parse_qsl(environ.get("QUERY_STRING", ""))).get("since", "")
            if since and not since.endswith("s"):
                with db.connection():
                    current = picks.queue_version(self.settings)
                if since == current:
                    start_response("200 OK", UNCHANGED)
                    return [b""]
        return self.app(environ, start_response)


@bp.record_once
def _install(state) -> None:
    state.app.wsgi_app = ChangesOnly(state.app.wsgi_app, state.app.config["KIOSK"])


def _ms(at: dt.datetime) -> int:
    """A record's time (naive UTC) as JavaScript's milliseconds."""
    return int(at.replace(tzinfo=dt.UTC).timestamp() * 1000)


# A request's age as the queue screens write it; picks.js is given the same words in the
# screen's language (``age_words``) to move the ages on between updates.
AGE_WORDS = {"under 1 min": _("under 1 min"), "{minutes} min": _("{minutes} min"),
             "{hours} h {minutes} min": _("{hours} h {minutes} min"),
             " · over the {target} min target": _(" · over the {target} min target")}


def _age(minutes: int, over: bool, target: int) -> Phrase:
    if minutes < 1:
        age = AGE_WORDS["under 1 min"]
    elif minutes < 60:
        age = _("{minutes} min", minutes=str(minutes))
    else:
        hours, past = divmod(minutes, 60)
        age = _("{hours} h {minutes} min", hours=str(hours), minutes=str(past).zfill(2))
    if over:
        age = joined([age, _(" · over the {target} min target", target=str(target))], "")
    return age


def age_words() -> dict:
    """The age words for picks.js, in the screen's language ({} in English: the script
    keeps its own)."""
    if language.current() == "en":
        return {}
    return {english: language.say(phrase) for english, phrase in AGE_WORDS.items()}


def _aged(rows, now: dt.datetime, target: int) -> None:
    """Each row's age as the screen first shows it (picks.js moves it on)."""
    for row in rows:
        minutes = max(0, int((now - row.requested_at).total_seconds() // 60))
        row.since_ms, row.over = _ms(row.requested_at), minutes >= target
        row.age = _age(minutes, row.over, target)
        row.asked = language.store_time(row.requested_at, "%H:%M")


def _can_claim() -> bool:
    return g.employee is not None and g.employee.has_any(RUNNERS)


def _queue(template: str, **extra) -> str:
    settings = current_app.config["KIOSK"]
    picks.release_stale(settings)
    version = picks.queue_version(settings)  # before the rows: a change after it shows next
    waiting, in_hand = pick_queue.queue_rows()
    now, target = clock.now(), settings["pick_target_minutes"]
    _aged(waiting, now, target)
    _aged(in_hand, now, target)
    events = _events_url()
    return render_template(
        template, version=version, waiting=waiting, in_hand=in_hand, now_ms=_ms(now),
        target=target, events=events, poll_ms=POLL_MS_TOLD if events else POLL_MS_ALONE,
        can_claim=_can_claim(), root=request.script_root, age_words=age_words(), **extra)


def _events_url() -> str:
    """Where this screen hears the queue's changes: the stream's port on the host the screen
    reached the kiosk by; "" when the kiosk runs none."""
    port = current_app.config["KIOSK"].get("events_port") or 0
    if not port:
        return ""
    host = urlsplit("//" + request.host).hostname or "127.0.0.1"
    host = f"[{host}]" if ":" in host else host
    return f"{request.scheme}://{host}:{port}{pick_events.PATH.decode()}"


def _page(template: str, **extra):
    """A whole queue page, allowed to open the change stream (another port, so another
    origin: the page's content security policy names it)."""
    response = make_response(_queue(template, **extra))
    events = _events_url()
    if events:
        policy = dict(SECURITY_HEADERS)["Content-Security-Policy"]
        origin = events.removesuffix(pick_events.PATH.decode())
        response.headers["Content-Security-Policy"] = f"{policy}; connect-src 'self' {origin}"
    return response


@bp.get("")
def queue():
    """The live queue: what is waiting (most urgent, then oldest first) and who is picking
    what. Anyone at a store screen sees it; claiming needs a login."""
    return _page("picks/queue.html")


@bp.get("/live")
def live():
    """The queue fragment, when it changed since the screen's version (else ChangesOnly
    answered already that nothing did)."""
    return _queue("picks/_queue.html")


@bp.post("/<int:request_id>/claim")
@login_required(roles=RUNNERS)
def claim(request_id: int):
    """One tap: the request is yours and its pick starts, or you are told who has it."""
    settings = current_app.config["KIOSK"]
    found = PickRequest.get_or_none(PickRequest.id == request_id)
    if found is None:
        abort(404)
    workflow = workflows.get(found.workflow)
    if workflow is None:
        abort(404)
    if not g.employee.has_any(workflow.roles):
        return _refused(_("{name} can't do {title}: it needs a {roles}.",
                          name=g.employee.name, title=workflow.title,
                          roles=engine.role_list(workflow.roles)))
    picks.release_stale(settings)
    outcome = picks.claim(request_id, g.employee, station(),
                          lambda: engine.start(workflow, g.employee, station(), settings))
    if not outcome.won:
        return _refused(outcome.message)
    return go(url_for("runs.show", run_id=outcome.run_id))


def _refused(message: Phrase):
    response = make_response(_queue("picks/_queue.html", message=message))
    return feedback(response, "error", message)


@bp.get("/manager")
@login_required(roles=("manager",))
def manager():
    """The manager's live view: the queue with ages against the target, who picks what,
    today's request-to-hand-off times and a chart of them by hour."""
    return _page("picks/manager.html", **_day_figures())


@bp.get("/manager/live")
@login_required(roles=("manager",))
def manager_live():
    """The manager's view's fragment, when the queue changed (as ``live``)."""
    return _queue("picks/_manager.html", **_day_figures())


def _day_figures() -> dict:
    settings = current_app.config["KIOSK"]
    today = pick_times.day()
    now_hour = clock.local(clock.now()).hour
    first = min([h.hour for h in today.hours] + [max(0, now_hour - 7)])
    by_hour = {h.hour: h for h in today.hours}
    groups = [charts.Bar(f"{hour:02d}:00", by_hour[hour].median_minutes if hour in by_hour
                         else None,
                         language.say(_("{count} done", count=by_hour[hour].count))
                         if hour in by_hour else "")
              for hour in range(first, now_hour + 1)]
    chart = charts.bars(groups, target=settings["pick_target_minutes"], unit="min",
                        title=language.say(_("Median minutes from request to hand-off, by "
                                             "hour, today")), language=language.current())
    return {"today": today, "chart": chart}


# -- the sales floor's restock request ------------------------------------------------------------
def _lines(form) -> list[tuple[Item, str]]:
    """The lines on the restock form (``q<item id>`` = quantity as typed), in order."""
    lines = []
    for key, raw in form.items():
        if key.startswith("q") and key[1:].isdigit() and len(lines) < picks.MAX_LINES:
            item = Item.one(id=int(key[1:]))
            if item is not None and all(item.id != i.id for i, _ in lines):
                lines.append((item, (raw or "").strip()[:12]))
    return lines


def _quantities(lines) -> tuple[list[tuple[Item, Decimal]], list[str]]:
    """The lines as quantities, and what is wrong with them, in words."""
    wanted, problems = [], []
    for item, text in lines:
        try:
            quantity = limits.quantity(text, item.unit, above_zero=True,
                                       maximum=picks.MAX_QUANTITY)
        except limits.QuantityError as exc:
            problems.append(_("{item}: {problem}", item=item.name,
                              problem=engine.words_of(exc)))
        else:
            wanted.append((item, quantity))
    return wanted, problems


def _restock_page(lines, message: str = "", tone: str = "", sent=None):
    query = limits.excerpt((request.values.get("q") or "").strip(), limits.SEARCH)
    stock = [(item, have) for item, have in pick_queue.items_in_vault()
             if not query or query.lower() in f"{item.name} {item.brand} {item.category}".lower()]
    mine = (PickRequest.select().where(PickRequest.origin == "floor",
                                       PickRequest.station == station())
            .order_by(PickRequest.id.desc()).limit(8))
    template = "picks/_restock.html" if request.htmx else "picks/restock.html"
    return render_template(template, lines=lines, stock=stock, chosen={i.id for i, _ in lines},
                           query=query, message=message, tone=tone, sent=sent, mine=list(mine),
                           urgent=not sent and request.values.get("urgent") == "1",
                           note="" if sent else (request.values.get("note") or "")[:MAX_NOTE],
                           holder=picks.holder_name, title=pick_queue.title,
                           amount=pick_queue.amount, status_words=pick_queue.status_words)


@bp.get("/new")
@login_required()
def restock():
    """Ask the vault for stock: several items, quantities, how urgent (a floor screen or a
    phone)."""
    return _restock_page(_lines(request.args))  # a filtered list keeps the lines


@bp.post("/new")
@login_required()
def restock_post():
    """Add an item, take one out, or send the request."""
    lines = _lines(request.form)
    op = request.form.get("op", "send")  # Enter in the note field sends
    if op == "add":
        wanted = request.form.get("item", "")
        item = Item.one(id=int(wanted)) if wanted.isdigit() and len(wanted) < 10 else None
        if item is None:
            return _restock_page(lines, _("That item is not in the catalogue."), "error")
        if all(item.id != i.id for i, _ in lines) and len(lines) < picks.MAX_LINES:
            lines.append((item, ""))
        return _restock_page(lines)
    if op.startswith("remove-"):
        return _restock_page([(i, q) for i, q in lines if f"remove-{i.id}" != op])
    if op != "send":
        abort(400)
    wanted, problems = _quantities(lines)
    if problems or not wanted:
        message = joined(problems) if problems else _("Add at least one item first.")
        return feedback(make_response(_restock_page(lines, message, "error")), "error", message)
    try:
        note = limits.text(request.form.get("note") or "", MAX_NOTE, "The note")
    except ValueError as exc:
        return feedback(make_response(_restock_page(lines, engine.words_of(exc), "error")),
                        "error", engine.words_of(exc))
    sent = picks.request_restock(g.employee, station(), wanted,
                                 request.form.get("urgent") == "1", note)
    ahead = PickRequest.select().where(PickRequest.status == "open",
                                       PickRequest.id != sent.id).count()
    message = (n_("Sent to the vault as {number}, with {count} other request in the queue.",
                  "Sent to the vault as {number}, with {count} other requests in the queue.",
                  ahead, number=sent.external_id) if ahead
               else _("Sent to the vault as {number}; nothing else is waiting.",
                      number=sent.external_id))
    return feedback(make_response(_restock_page([], message, "ok", sent=sent)), "ok", message)


@bp.app_template_global()
def station_kind() -> str:
    """This screen's kind (receiving, vault, floor …), for the home screen's tiles."""
    found = Station.one(name=station())
    return found.kind if found else ""
