"""Badge + PIN: clear refusals, lockout after five failures, server-side sessions."""

import datetime as dt

from kiosk import auth, db
from kiosk.models import AuditEntry, LoginAttempt, LoginSession


def _auth(badge, pin):
    with db.write():
        return auth.authenticate(badge, pin, station="test-1")


def test_pin_is_stored_only_as_a_slow_salted_hash(make_employee):
    ana = make_employee("Ana", "1001", "1234")
    kind, n, r, p, salt, digest = ana.pin_hash.split("$")
    # Only scrypt's parameters, a 16-byte salt and a 64-byte digest are kept; never the PIN.
    assert (kind, len(bytes.fromhex(salt)), len(bytes.fromhex(digest))) == ("scrypt", 16, 64)
    assert int(n) >= 2**10 and "1234" not in (kind, n, r, p)
    other = make_employee("Bo", "1002", "1234")
    assert other.pin_hash != ana.pin_hash  # salted


def test_good_and_bad_pins(make_employee, fixed_clock):
    make_employee("Ana", "1001", "1234")
    assert _auth("1001", "1234").ok
    result = _auth("1001", "9999")
    assert not result.ok and result.message == "Wrong PIN. Try again."


def test_unknown_and_inactive_badges_are_named(make_employee, fixed_clock):
    make_employee("Ivan", "1009", "9012", active=False)
    assert "not known here" in _auth("4242", "1234").message
    assert "no longer active" in _auth("1009", "9012").message


def test_five_failures_lock_the_badge_for_five_minutes(make_employee, fixed_clock):
    make_employee("Ana", "1001", "1234")
    for _ in range(4):
        assert _auth("1001", "0000").message == "Wrong PIN. Try again."
    assert _auth("1001", "0000").message == (
        "Wrong PIN. Badge 1001 is locked after 5 wrong PINs. Try again in 5 minutes, or ask "
        "a manager to unlock it.")
    # Even the right PIN is refused while locked, in the same words with the time left.
    fixed_clock.advance(seconds=61)
    assert _auth("1001", "1234").message == (
        "Badge 1001 is locked after 5 wrong PINs. Try again in 4 minutes, or ask a manager "
        "to unlock it.")
    assert AuditEntry.select().where(AuditEntry.action == "badge.locked").count() == 1
    fixed_clock.advance(minutes=3, seconds=58)
    assert _auth("1001", "1234").message.endswith("Try again in 1 minute, or ask a manager to "
                                                  "unlock it.")
    fixed_clock.advance(seconds=2)
    assert _auth("1001", "1234").ok


def test_a_success_resets_the_failure_count(make_employee, fixed_clock):
    make_employee("Ana", "1001", "1234")
    for _ in range(4):
        _auth("1001", "0000")
    assert _auth("1001", "1234").ok
    for _ in range(4):
        _auth("1001", "0000")
    assert _auth("1001", "1234").ok


def test_every_attempt_is_logged(make_employee, fixed_clock):
    make_employee("Ana", "1001", "1234")
    _auth("1001", "1")
    _auth("1001", "1234")
    _auth("77", "1")
    assert [(a.badge, a.ok) for a in LoginAttempt.select().order_by(LoginAttempt.id)] == \
        [("1001", False), ("1001", True), ("77", False)]


def test_sessions_renew_expire_and_end(make_employee, fixed_clock):
    ana = make_employee("Ana", "1001", "1234")
    bo = make_employee("Bo", "1002", "1234")
    with db.write():
        first = auth.start_session(ana, "vault-1")
        second = auth.start_session(ana, "vault-1")
    assert first.token != second.token  # a new token at every login
    assert auth.current_session(first.token) is None  # the older one ended
    policy = auth.Policy(idle_seconds=90, warning_seconds=20)
    fixed_clock.advance(seconds=109)
    assert auth.current_session(second.token, policy) is not None
    fixed_clock.advance(seconds=2)
    assert auth.current_session(second.token, policy) is None  # idle past the lock
    with db.write():
        third = auth.start_session(bo, "vault-1")
        auth.end_session(third, "logout")
    assert auth.current_session(third.token) is None
    assert LoginSession.get_by_id(third.id).end_reason == "logout"


def test_deactivating_an_employee_kills_their_session(make_employee, fixed_clock):
    ana = make_employee("Ana", "1001", "1234")
    with db.write():
        session = auth.start_session(ana, "vault-1")
        ana.active = False
        ana.save()
    assert auth.current_session(session.token) is None


def test_lock_window_is_measured_from_the_fifth_failure(make_employee, fixed_clock):
    make_employee("Ana", "1001", "1234")
    policy = auth.Policy()
    for _ in range(5):
        _auth("1001", "0")
        fixed_clock.advance(seconds=30)
    until = auth.locked_until("1001", policy)
    assert until == fixed_clock.now() - dt.timedelta(seconds=30) + dt.timedelta(minutes=5)


def _attempt(badge, pin, purpose="login"):
    return auth.attempt(badge, pin, station="test-1", purpose=purpose)


def test_what_is_no_attempt_is_not_recorded(make_employee, fixed_clock):
    make_employee("Ana", "1001", "1234")
    assert _attempt("<b>" * 1000, "1234").message == auth.NOT_A_BADGE
    assert _attempt("١٠٠١", "1234").message == auth.NOT_A_BADGE  # digits, but not ASCII
    empty = _attempt("EMP-1001", "  ")
    assert empty.needs_pin and empty.name == "Ana" and not empty.ok
    assert LoginAttempt.select().count() == 0 and AuditEntry.select().count() == 0


def test_every_attempt_is_audited_by_its_record(make_employee, fixed_clock):
    make_employee("Ana", "1001", "1234")
    make_employee("Ivan", "1009", "9012", active=False)
    assert _attempt("1001", "1234", purpose="signature").ok
    for _ in range(5):
        _attempt("1001", "0000")
    assert _attempt("1001", "1234").locked
    _attempt("4242", "1")
    _attempt("1009", "9012")
    named = {}
    for entry in AuditEntry.select().order_by(AuditEntry.seq):
        if "attempt" in entry.detail and entry.action != "badge.locked":
            named[entry.detail["attempt"]] = entry.action
    attempts = list(LoginAttempt.select().order_by(LoginAttempt.id))
    assert [named[a.id] for a in attempts] == (
        ["signature.pin_ok"] + ["login.wrong_pin"] * 5 + ["login.locked"] + ["login.refused"] * 2)


def test_a_locked_badge_is_not_even_hashed(make_employee, fixed_clock, monkeypatch):
    make_employee("Ana", "1001", "1234")
    for _ in range(5):
        _attempt("1001", "0000")
    hashed = []
    monkeypatch.setattr(auth, "check_pin", lambda pin, stored: hashed.append(pin) or True)
    assert _attempt("1001", "1234").locked and hashed == []


def test_an_unlock_starts_the_count_again(make_employee, fixed_clock):
    from kiosk import lockout

    make_employee("Ana", "1001", "1234")
    make_employee("Max", "2002", "2222", "manager")
    for _ in range(5):
        _attempt("1001", "0000")
    policy = auth.Policy()
    assert [lock.badge for lock in lockout.locked_badges(policy)] == ["1001"]
    fixed_clock.advance(seconds=1)
    signed = _attempt("2002", "2222", purpose="unlock")
    with db.write():
        lockout.unlock("1001", signed.employee, signed.attempt_id, "test-1")
    assert lockout.locked_badges(policy) == [] and auth.locked_until("1001", policy) is None
    fixed_clock.advance(seconds=1)
    for _ in range(4):
        assert _attempt("1001", "0000").message == "Wrong PIN. Try again."
    assert _attempt("1001", "0000").locked  # the fifth since the unlock


def test_guesses_at_once_on_postgres_get_five_judged(postgres_url):
    """On PostgreSQL writers do not queue on one lock: the badge's row lock is what makes
    the sixth guess see the first five."""
    import threading

    from kiosk import clock
    from kiosk.models import Employee

    db.init(postgres_url)
    db.upgrade()
    with db.connection(), db.write():
        Employee.create(name="Max", badge="2002", pin_hash=auth.hash_pin("2222"),
                        roles="manager", created_at=clock.now())
    start, answers = threading.Barrier(8), []

    def guess(number):
        with db.connection():
            start.wait()
            for n in range(3):
                answers.append(auth.attempt("2002", f"{number}{n}00", station="pg",
                                            purpose="signature").message)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert len(answers) == 24
    assert sum(a.startswith("Wrong PIN") for a in answers) == 5
    with db.connection():
        assert LoginAttempt.select().where(LoginAttempt.reason == "wrong pin").count() == 5
        assert LoginAttempt.select().count() == 24
    db.database.close_all()
