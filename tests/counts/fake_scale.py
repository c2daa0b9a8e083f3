"""A scale on the far end of a pseudo-terminal: the kiosk opens the pty's slave side as it
would open /dev/ttyUSB0, and this thread answers on the master side like an MT-SICS scale
(or streams lines like a streaming one). ``mode`` says how it behaves at the next question:

stable, unstable, overload, underload, garbage, silent, unknown (answers ES), and pull: the
cable comes out halfway through the answer (the master side closes mid-line).
"""

from __future__ import annotations

import os
import threading
import time
import tty


class FakeScale:
    def __init__(self, weight: str = "12.34", unit: str = "g", streaming: bool = False):
        self.master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo, no line editing: bytes pass as a serial line does
        # The kiosk opens the device by its path, as it would a real one. This end keeps its
        # own descriptor open: with no slave side open, the master reads as hung up.
        self.device = os.ttyname(self._slave)
        self.weight, self.unit, self.streaming = weight, unit, streaming
        self.mode = "stable"
        self.asked: list[str] = []
        self.pulled = False
        self.lines_sent = 0  # streaming: lines written so far
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._stream if streaming else self._answer,
                                        daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        kind = "stream" if self.streaming else "sics"
        return f"{kind}+serial://{self.device}?baudrate=9600"

    def _send(self, text: str) -> None:
        os.write(self.master, text.encode("latin-1"))

    def _sics_answer(self, command: str) -> str | None:
        mode = self.mode
        if mode == "silent":
            return None
        if mode == "unknown":
            return "ES\r\n"
        if mode == "garbage":
            return "\x07#@!~~ 0x4F?\r\n"
        if mode == "overload":
            return "S +\r\n"
        if mode == "underload":
            return "S -\r\n"
        if mode == "unstable":
            return f"S D {self.weight:>10} {self.unit}\r\n" if command == "SI" else "S I\r\n"
        return f"S S {self.weight:>10} {self.unit}\r\n"

    def _answer(self) -> None:
        buffer = b""
        while not self._stop.is_set():
            try:
                chunk = os.read(self.master, 64)
            except OSError:
                return
            buffer += chunk
            while b"\r\n" in buffer:
                line, buffer = buffer.split(b"\r\n", 1)
                command = line.decode().strip()
                self.asked.append(command)
                if self.mode == "pull":
                    self._send("S S       12")  # half an answer, then the cable is out
                    time.sleep(0.05)
                    self.pull()
                    return
                answer = self._sics_answer(command)
                if answer:
                    self._send(answer)

    def _stream(self) -> None:
        while not self._stop.is_set():
            flag = {"stable": "ST", "unstable": "US", "overload": "OL",
                    "underload": "UL"}.get(self.mode)
            try:
                if self.mode == "garbage":
                    self._send("\x07#@!~~\r\n")
                elif self.mode == "pull":
                    self._send("ST,GS,+00")
                    time.sleep(0.05)
                    self.pull()
                    return
                elif flag:
                    self._send(f"{flag},GS,+{self.weight:>8} {self.unit}\r\n")
            except OSError:
                return
            self.lines_sent += 1
            time.sleep(0.05)

    def switch(self, mode: str) -> None:
        """Streaming: change what the scale sends, and return once a line of the new kind is
        on its way (a line begun before the change is not a reading of the new state)."""
        self.mode = mode
        seen = self.lines_sent
        while self.lines_sent < seen + 2 and not self.pulled:
            time.sleep(0.01)

    def pull(self) -> None:
        """The cable comes out: the device end goes away."""
        if not self.pulled:
            self.pulled = True
            os.close(self.master)

    def close(self) -> None:
        self._stop.set()
        self.pull()
        os.close(self._slave)
