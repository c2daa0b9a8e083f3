"""Bench scales on a serial line, chosen by ``KIOSK_SCALE``.

``none``                                       no scale (the default): weights are typed
``sics+serial:///dev/ttyUSB0?baudrate=9600``   MT-SICS: the kiosk asks (``S`` for a stable
                                               weight, ``SI`` for the weight now)
``stream+serial:///dev/ttyUSB1?baudrate=9600`` the scale sends lines by itself, such as
                                               ``ST,GS,+0012.34 g``

``open_scale(url)`` gives a ``Scale`` with two calls: ``read()``, a stable weight or the reason
there is none, and ``peek()``, the weight at this moment for a live display. Both return a
``Reading`` and never raise: a scale that is unplugged, overloaded or talking nonsense is a
reading whose ``words`` say so to the person at the kiosk. Values are ``Decimal`` exactly as
the scale printed them, with the unit as it printed it; nothing is rounded or converted here.

One exchange at a time: a lock for this process's threads and an ``flock`` on the port for
the server's other processes, so two screens never read each other's answers. A port that
failed (the cable pulled) is closed and opened again at the next reading.
"""

from __future__ import annotations

import fcntl
import re
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlparse

import serial

from kiosk.words import Number, _

SCHEMES = ("sics+serial", "stream+serial")
READ_SECONDS = 4.0  # how long a stable reading may take before the kiosk says why not
PEEK_SECONDS = 1.0


@dataclass(frozen=True)
class Reading:
    """One answer from the scale.

    ``status`` is stable, unstable, overload, underload, error (an answer the kiosk cannot
    use), offline (no answer) or absent (no scale set up).
    """

    status: str
    value: Decimal | None = None
    unit: str = ""
    raw: str = ""
    detail: str = ""

    @property
    def stable(self) -> bool:
        return self.status == "stable" and self.value is not None

    @property
    def words(self) -> str:
        """What the person at the kiosk is told (a phrase, said in the reader's language)."""
        if self.status == "stable":
            return _("{weight} {unit}, stable.", weight=self._weight(), unit=self.unit)
        if self.status == "unstable" and self.detail:
            return self.detail
        if self.status == "unstable" and self.value is not None:
            return _("The weight is still moving (now {weight} {unit}). Keep the pan still, "
                     "take your hands off, and take the reading again.",
                     weight=self._weight(), unit=self.unit)
        if self.status == "unstable":
            return _("The weight is still moving. Keep the pan still, take your hands off, and "
                     "take the reading again.")
        if self.status == "overload":
            return _("Too heavy for the scale (overload). Weigh it in parts, or on a bigger "
                     "scale.")
        if self.status == "underload":
            return _("The scale reads below zero (underload): put the pan back or zero the "
                     "empty scale, then take the reading again.")
        if self.status == "offline":
            return self.detail or _("The scale did not answer. Check that it is on and its "
                                    "cable is plugged in, then take the reading again.")
        if self.status == "absent":
            return _("No scale is set up at this kiosk (KIOSK_SCALE is none). Type the weight "
                     "and say why.")
        return self.detail or _("The scale sent something this kiosk cannot read ({raw}). "
                                "Take the reading again; if it keeps happening, check the "
                                "scale's interface settings.", raw=repr(self.raw[:30]))

    def _weight(self):
        """The weight with every digit the scale printed (a language's way of writing
        numbers would round it), its decimal mark the reader's."""
        text = f"{self.value:f}"
        if "." not in text:
            return text
        whole, fraction = text.split(".")
        return _("{whole}.{fraction}", whole=whole, fraction=fraction)

    def as_dict(self) -> dict:
        """Plain data for a step's answer (``engine`` reads ``status``, ``value``, ``unit``,
        ``words``)."""
        return {"status": self.status, "value": None if self.value is None else f"{self.value:f}",
                "unit": self.unit, "words": self.words, "raw": self.raw[:60]}


class Scale(Protocol):
    """What every scale offers."""

    url: str

    def read(self) -> Reading:
        """A stable weight, or a reading saying why there is none."""

    def peek(self) -> Reading:
        """The weight at this moment, stable or not (the live display)."""


NUMBER = r"[+-]?\s*\d+(?:\.\d+)?"
_SICS = re.compile(rf"^(S|SI)\s+([SDI+-])(?:\s+({NUMBER})\s*([A-Za-z]+)?)?\s*$")
_STREAM = re.compile(rf"^(?:(ST|US|OL|UL)\s*,)?\s*(?:(GS|NT|TR|G|N)\s*,)?\s*({NUMBER})\s*"
                     r"([A-Za-z]+)?\s*$")


def _number(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(" ", ""))
    except InvalidOperation:
        return None


def parse_sics(line: str) -> Reading:
    """One MT-SICS answer line (``S S      100.00 g``) as a Reading."""
    text = line.strip()
    if text in ("ES", "ET", "EL"):
        return Reading("error", raw=text, detail=_(
            "The scale did not understand the kiosk's request (MT-SICS {answer}). Check that "
            "the scale is set to MT-SICS, then take the reading again.", answer=text))
    match = _SICS.match(text)
    if not match:
        return Reading("error", raw=text)
    _cmd, flag, number, unit = match.groups()
    value = _number(number) if number else None
    unit = (unit or "").lower()
    if flag == "S":
        if value is None or not unit:
            return Reading("error", raw=text)
        return Reading("stable", value, unit, text)
    if flag == "D":
        return Reading("unstable", value, unit, text)
    if flag == "I":
        return Reading("unstable", raw=text, detail=_(
            "The scale could not settle on a weight. Keep the pan still, take your hands off, "
            "and take the reading again."))
    return Reading("overload" if flag == "+" else "underload", raw=text)


def parse_stream(line: str) -> Reading:
    """One line a streaming scale sent (``ST,GS,+0012.34 g``) as a Reading; a line without
    the stability flag ``ST`` is never taken as stable."""
    text = line.strip()
    match = _STREAM.match(text)
    if not match:
        return Reading("error", raw=text)
    flag, _gross, number, unit = match.groups()
    value, unit = _number(number), (unit or "").lower()
    if flag == "OL":
        return Reading("overload", raw=text)
    if flag == "UL":
        return Reading("underload", raw=text)
    if value is None or not unit:
        return Reading("error", raw=text)
    return Reading("stable" if flag == "ST" else "unstable", value, unit, text)


class NoScale:
    """``none``: nothing to read; the person types the weight with a reason."""

    url = "none"

    def read(self) -> Reading:
        return Reading("absent")

    def peek(self) -> Reading:
        return Reading("absent")


class _Port:
    """A serial device, opened on first use and again after a failure."""

    def __init__(self, device: str, options: dict):
        self.device, self.options = device, options
        self.port: serial.Serial | None = None
        self.lock = threading.Lock()

    @contextmanager
    def exchange(self):
        """The open port, held by this thread and process for one question and answer."""
        with self.lock:
            if self.port is None:
                self.port = serial.Serial(self.device, timeout=0, **self.options)
            port = self.port
            fcntl.flock(port.fileno(), fcntl.LOCK_EX)
            try:
                yield port
            except (serial.SerialException, OSError):
                self.close()
                raise
            finally:
                if self.port is port:
                    fcntl.flock(port.fileno(), fcntl.LOCK_UN)

    def close(self) -> None:
        if self.port is not None:
            try:
                self.port.close()
            except (serial.SerialException, OSError):
                pass
            self.port = None


def _line(port: serial.Serial, deadline: float) -> str | None:
    """One line from the port, or None when the time ran out before it ended."""
    got = bytearray()
    while not got.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        port.timeout = min(left, 0.25)
        got += port.read_until(b"\n")
    return got.decode("ascii", "replace")


class _SerialScale:
    kind = ""

    def __init__(self, url: str, device: str, options: dict, read_seconds: float = READ_SECONDS):
        self.url, self.read_seconds = url, read_seconds
        self.line = _Port(device, options)

    def read(self) -> Reading:
        return self._guarded(self._read, self.read_seconds)

    def peek(self) -> Reading:
        return self._guarded(self._peek, PEEK_SECONDS)

    def _guarded(self, how, seconds: float) -> Reading:
        try:
            return how(time.monotonic() + seconds, seconds)
        except (serial.SerialException, OSError):
            return Reading("offline", detail=_(
                "The scale stopped answering (its cable may be out). Check the cable and its "
                "power, then take the reading again."))

    @staticmethod
    def _silent(seconds: float) -> Reading:
        return Reading("offline", detail=_(
            "The scale did not answer within {seconds} seconds. Check that it is on and its "
            "cable is plugged in, then take the reading again.",
            seconds=Number(seconds, f"{seconds:g}")))


class SicsScale(_SerialScale):
    """MT-SICS: ``S`` waits for a stable weight, ``SI`` answers with the weight now."""

    def _ask(self, command: bytes, deadline: float, seconds: float) -> Reading:
        with self.line.exchange() as port:
            port.reset_input_buffer()  # a late answer to an earlier question is not this one
            port.write(command + b"\r\n")
            port.flush()
            answer = _line(port, deadline)
        return self._silent(seconds) if answer is None else parse_sics(answer)

    def _read(self, deadline: float, seconds: float) -> Reading:
        return self._ask(b"S", deadline, seconds)

    def _peek(self, deadline: float, seconds: float) -> Reading:
        return self._ask(b"SI", deadline, seconds)


class StreamScale(_SerialScale):
    """A scale that sends its weight line after line; only a line flagged stable counts."""

    def _listen(self, deadline: float, seconds: float, settle: bool) -> Reading:
        last = None
        with self.line.exchange() as port:
            port.reset_input_buffer()  # what is waiting is old; the first new line may be cut
            while True:
                text = _line(port, deadline)
                if text is None:
                    break
                reading = parse_stream(text)
                if reading.status == "error" and last is None:
                    last = reading  # possibly the cut first line: keep listening
                    continue
                last = reading
                if reading.stable or not settle:
                    break
        return last or self._silent(seconds)

    def _read(self, deadline: float, seconds: float) -> Reading:
        return self._listen(deadline, seconds, settle=True)

    def _peek(self, deadline: float, seconds: float) -> Reading:
        return self._listen(deadline, seconds, settle=False)


def problem(url: str) -> str | None:
    """What is wrong with a ``KIOSK_SCALE`` value, or None when it can be used."""
    text = str(url).strip()
    if text in ("", "none"):
        return None
    parsed = urlparse(text)
    if parsed.scheme not in SCHEMES:
        return (f"{text!r} is not a scale address; use none, sics+serial:///dev/ttyUSB0?"
                "baudrate=9600 or stream+serial:///dev/ttyUSB0?baudrate=9600")
    if not unquote(parsed.path).startswith("/"):
        return f"{text!r} names no serial device (it needs a path such as /dev/ttyUSB0)"
    try:
        _options(parsed.query)
    except ValueError as exc:
        return f"{text!r}: {exc}"
    return None


def _options(query: str) -> dict:
    values = {k: v[-1] for k, v in parse_qs(query).items()}
    options = {}
    if "baudrate" in values:
        if not values["baudrate"].isdigit():
            raise ValueError("baudrate must be a whole number such as 9600")
        options["baudrate"] = int(values["baudrate"])
    if "parity" in values:
        if values["parity"].upper() not in ("N", "E", "O"):
            raise ValueError("parity must be N, E or O")
        options["parity"] = values["parity"].upper()
    unknown = set(values) - {"baudrate", "parity"}
    if unknown:
        raise ValueError(f"unknown option {sorted(unknown)[0]!r} (baudrate and parity are read)")
    return options


def open_scale(url: str, read_seconds: float = READ_SECONDS) -> Scale:
    """The scale named by ``url`` (see the module docstring); nothing is opened until the first
    reading. Raises ValueError for an address ``problem`` refuses."""
    wrong = problem(url)
    if wrong:
        raise ValueError(wrong)
    text = str(url).strip()
    if text in ("", "none"):
        return NoScale()
    parsed = urlparse(text)
    kind = SicsScale if parsed.scheme == "sics+serial" else StreamScale
    return kind(text, unquote(parsed.path), _options(parsed.query), read_seconds)
