"""The colour and words of each answer at the dock match what happened: green only for what
went right, amber for a step taken that recorded a problem, red for a refusal."""

from __future__ import annotations

from bs4 import BeautifulSoup
from receiving_helpers import feedback, manifest

TAG = "1A4050900{:015d}"


def answer(r) -> tuple[str, str, list[str]]:
    """The last answer's tone (kiosk.js plays it) and the feedback line's words and classes."""
    step = BeautifulSoup(r.last.data, "html.parser").select_one("section#step")
    line = step.select_one(".feedback")
    return feedback(r.last)["tone"], line.get_text(" ", strip=True), line["class"]


def test_what_went_right_is_green(receive, load):
    load(manifest(packages=2))
    r = receive()
    r.open("0000300001", cases=1)
    assert answer(r)[0] == "ok" and answer(r)[2] == ["feedback", "ok"]
    r.check(TAG.format(1), 48)
    tone, words, classes = answer(r)
    assert (tone, classes) == ("ok", ["feedback", "ok"])
    assert words.startswith("✔ Accepted. Received 48 Each.")


def test_a_case_count_that_does_not_match_is_amber_not_accepted(receive, load):
    load(manifest(packages=2))
    r = receive()
    r.open("0000300001", cases=2)
    tone, words, classes = answer(r)
    assert (tone, classes) == ("warn", ["feedback", "warn"])
    assert words == ("! Recorded. 2 cases counted but the manifest says 1. This is recorded; "
                     "check every package carefully.")


def test_each_problem_a_package_records_is_amber(receive, load):
    load(manifest(packages=3))
    r = receive()
    r.open("0000300001")
    r.ok("package", value=TAG.format(1))
    r.ok("condition", value="damaged")
    assert answer(r)[0] == "warn"
    r.ok("units", value="40")  # 48 shipped
    assert answer(r)[:2] == ("warn", "! Recorded. Noted: 40 counted, 48 shipped.")
    r.ok("decide", value="reject:damaged")
    tone, words, _ = answer(r)
    assert tone == "warn" and words.startswith("! Recorded. Package ") and "rejected" in words
    assert "✔" not in words and "Accepted" not in words

    r.check(TAG.format(2), 47, decision="short")
    tone, words, _ = answer(r)
    assert tone == "warn" and words.startswith("! Recorded. Received 47 Each (short)")

    r.ok("package", value=TAG.format(3))
    r.ok("condition", value="intact")
    assert answer(r)[0] == "ok"
    r.ok("units", value="48")
    assert answer(r)[:2] == ("ok", "✔ Accepted. Noted: the count matches the manifest.")


def test_a_refusal_is_red(receive, load):
    load(manifest(packages=1))
    r = receive()
    r.open("0000300001")
    r.refused("package", value="LOC-V-A1")
    tone, words, classes = answer(r)
    assert (tone, classes) == ("error", ["feedback", "error"])
    assert words.startswith("✖ Not accepted.")
