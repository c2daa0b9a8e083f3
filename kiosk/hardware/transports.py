"""Getting bytes to a printer, chosen by the printer's URL (see the configuration table).

``zpl+tcp://host:9100``   raw socket; asks ``~HS`` first and refuses to send into a problem
``cups://QUEUE``          a CUPS raw queue, through the ``zebra`` package (``lpr -o raw``)
``zpl+usb://VID:PID``     pyusb bulk transfer; also asks ``~HS``
``escpos+tcp|usb|serial|file://…``  python-escpos printers; ask for paper status first
``file://DIR``            one spool file per job (the demo default)
``none``                  no printer here

Every failure becomes ``PrinterError`` with one sentence for the person at the kiosk (its
words are in ``kiosk.printer_words``).
``send`` (one job) and ``send_many`` (several, in order) return only after the transport
accepted all the bytes; the queue marks a job printed only then.
"""

from __future__ import annotations

import ctypes
import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from kiosk import printer_words as w
from kiosk.hardware.printer_status import (
    PrinterError,
    complete_zebra,
    escpos_paper_problem,
    parse_zebra,
)

CONNECT_TIMEOUT = 5.0
STATUS_TIMEOUT = 3.0
WHO = w.WHO


def _who(device: str) -> str:
    return w.who(device)


@dataclass
class Transport:
    """Base: a named destination for one device (label or receipt)."""

    url: str
    device: str

    @property
    def who(self) -> str:
        return _who(self.device)

    @property
    def who_inside(self) -> str:
        """The printer inside a sentence ("the label printer")."""
        return w.who_inside(self.device)

    def send(self, payload: bytes, name: str) -> None:  # pragma: no cover - interface
        """Deliver ``payload`` (one job, called ``name``) or raise PrinterError."""
        raise NotImplementedError

    def send_many(self, jobs: list[tuple[bytes, str]]) -> None:
        """Deliver several jobs in order, or raise PrinterError with ``sent``: how many of
        them were delivered whole before it failed. A printer takes them one by one."""
        for sent, (payload, name) in enumerate(jobs):
            try:
                self.send(payload, name)
            except PrinterError as exc:
                exc.sent = sent
                raise


@dataclass
class NoPrinter(Transport):
    """``none``: this kiosk has no such printer."""

    def send(self, payload: bytes, name: str) -> None:
        raise PrinterError(w.NO_LABEL_PRINTER if self.device == "label"
                           else w.NO_RECEIPT_PRINTER)


@dataclass
class SpoolFolder(Transport):
    """``file://DIR``: each job becomes a file; written whole, then renamed into place."""

    folder: Path = Path(".")

    def send(self, payload: bytes, name: str) -> None:
        self.send_many([(payload, name)])

    def send_many(self, jobs: list[tuple[bytes, str]]) -> None:
        """Every file written whole, made durable with one flush of the file system for the
        lot, then renamed into place: a file appears complete or not at all for whoever
        reads it, and survives a power cut once the job is marked printed. One flush instead
        of one fsync per file: a 500-label job spent two of its three seconds in fsyncs."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            partials = []
            for payload, name in jobs:
                partial = self.folder / f".{name}.part"
                with open(partial, "wb") as handle:
                    handle.write(payload)
                partials.append((partial, self.folder / name))
            _flush_file_system(self.folder)
            for partial, final in partials:
                os.replace(partial, final)
            _flush_file_system(self.folder)  # the new names, too
        except OSError as exc:
            error = PrinterError(w.filled(w.SPOOL_UNWRITABLE, who=self.who,
                                          folder=str(self.folder),
                                          error=str(exc.strerror or exc)))
            error.sent = 0  # none was marked printed, and a retry writes each one again whole
            raise error from None


def _flush_file_system(folder: Path) -> None:
    """Write everything waiting for the file system that holds ``folder`` to its disk
    (Linux ``syncfs``; ``sync`` where the C library lacks it)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        if _SYNCFS is None or _SYNCFS(fd) != 0:
            os.sync()
    finally:
        os.close(fd)


def _syncfs():
    try:
        return ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None


_SYNCFS = _syncfs()


@dataclass
class ZplSocket(Transport):
    """``zpl+tcp://host:port``: ask ``~HS``, and send only to a ready printer."""

    host: str = ""
    port: int = 9100

    def send(self, payload: bytes, name: str) -> None:
        where = f"{self.host}:{self.port}"
        try:
            with socket.create_connection((self.host, self.port), CONNECT_TIMEOUT) as conn:
                conn.sendall(b"~HS")
                answer = _read_status(conn)
                if answer:
                    problem = parse_zebra(answer).problem(self.who)
                    if problem:
                        raise PrinterError(problem)
                # A second ~HS after the job: the printer reads its input in order, so its
                # answer shows the whole job arrived. No answer is not an error (the first
                # one came), but the job is not marked printed until sendall returned.
                conn.sendall(payload + b"~HS")
                _read_status(conn)
        except PrinterError:
            raise
        except ValueError:
            raise PrinterError(w.filled(w.NOT_UNDERSTOOD_AT, who=self.who, where=where)) \
                from None
        except ConnectionRefusedError:
            raise PrinterError(w.filled(w.REFUSED, who=self.who, where=where)) from None
        except TimeoutError:
            raise PrinterError(w.filled(w.NO_ANSWER, who=self.who, where=where)) from None
        except OSError as exc:
            raise PrinterError(w.filled(w.UNREACHABLE, who=self.who, where=where,
                                        error=str(exc.strerror or exc))) from None


def _read_status(conn: socket.socket) -> bytes:
    """Read a ``~HS`` answer; b'' if the printer stays silent (then we print anyway)."""
    conn.settimeout(STATUS_TIMEOUT)
    answer = b""
    try:
        while not complete_zebra(answer):
            chunk = conn.recv(1024)
            if not chunk:
                break
            answer += chunk
    except TimeoutError:
        pass
    conn.settimeout(CONNECT_TIMEOUT)
    return answer


@dataclass
class CupsQueue(Transport):
    """``cups://QUEUE``: a raw CUPS queue, fed by the ``zebra`` package through ``lpr``."""

    queue: str = ""

    def send(self, payload: bytes, name: str) -> None:
        # zebra pipes to ``lpr`` and ignores its exit status, so check the queue first:
        # a missing or stopped queue would otherwise swallow the job without a word.
        self._check_queue()
        import zebra

        try:
            zebra.Zebra(self.queue).output(payload)
        except OSError as exc:
            raise PrinterError(w.filled(w.CUPS_HANDOFF, who=self.who, error=str(exc))) \
                from None

    def _check_queue(self) -> None:
        try:
            result = subprocess.run(["lpstat", "-p", self.queue, "-a", self.queue],
                                    capture_output=True, text=True, timeout=10)
        except FileNotFoundError:
            raise PrinterError(w.filled(w.CUPS_MISSING, who=self.who)) from None
        except subprocess.TimeoutExpired:
            raise PrinterError(w.filled(w.CUPS_SILENT, printer=self.who_inside)) from None
        text = (result.stdout + result.stderr).lower()
        if "scheduler is not running" in text or "unable to connect" in text:
            raise PrinterError(w.CUPS_DOWN)
        if result.returncode != 0 or "invalid destination" in text or "unknown" in text:
            raise PrinterError(w.filled(w.CUPS_NO_QUEUE, who=self.who, queue=self.queue))
        if "disabled" in text:
            raise PrinterError(w.filled(w.CUPS_STOPPED, who=self.who, queue=self.queue))
        if "not accepting" in text:
            raise PrinterError(w.filled(w.CUPS_REFUSING, who=self.who, queue=self.queue))


@dataclass
class ZplUsb(Transport):
    """``zpl+usb://VID:PID``: bulk OUT to the printer, ``~HS`` read back on bulk IN."""

    vendor: int = 0
    product: int = 0

    def send(self, payload: bytes, name: str) -> None:
        import usb.core
        import usb.util

        where = f"USB {self.vendor:04x}:{self.product:04x}"
        try:
            device = usb.core.find(idVendor=self.vendor, idProduct=self.product)
        except usb.core.NoBackendError:
            raise PrinterError(w.NO_LIBUSB) from None
        if device is None:
            raise PrinterError(w.filled(w.USB_NOT_CONNECTED, who=self.who, where=where))
        try:
            out_ep, in_ep = _usb_endpoints(device)
            out_ep.write(b"~HS", timeout=int(CONNECT_TIMEOUT * 1000))
            answer = _usb_status(in_ep) if in_ep is not None else b""
            if answer:
                problem = parse_zebra(answer).problem(self.who)
                if problem:
                    raise PrinterError(problem)
            out_ep.write(payload, timeout=int(30 * 1000))
        except usb.core.USBError as exc:
            if getattr(exc, "errno", None) == 16:
                raise PrinterError(w.filled(w.USB_BUSY, who=self.who, where=where)) from None
            if getattr(exc, "errno", None) == 13:
                raise PrinterError(w.filled(w.USB_NOT_ALLOWED, printer=self.who_inside,
                                            where=where)) from None
            raise PrinterError(w.filled(w.USB_STOPPED, who=self.who, where=where,
                                        error=str(exc))) from None
        except ValueError:
            raise PrinterError(w.filled(w.USB_NOT_UNDERSTOOD, who=self.who, where=where)) \
                from None
        finally:
            usb.util.dispose_resources(device)


def _usb_endpoints(device):
    """The first interface's bulk OUT and IN endpoints, detaching a kernel driver if needed."""
    import usb.core
    import usb.util

    try:
        if device.is_kernel_driver_active(0):
            device.detach_kernel_driver(0)
    except (NotImplementedError, usb.core.USBError):
        pass  # not every backend can tell; set_configuration will complain if it matters
    try:
        config = device.get_active_configuration()
    except usb.core.USBError:
        device.set_configuration()
        config = device.get_active_configuration()
    interface = config[(0, 0)]

    def direction(wanted):
        return usb.util.find_descriptor(
            interface, custom_match=lambda e: usb.util.endpoint_direction(
                e.bEndpointAddress) == wanted)

    out_ep = direction(usb.util.ENDPOINT_OUT)
    if out_ep is None:
        raise usb.core.USBError("the printer has no output endpoint")
    return out_ep, direction(usb.util.ENDPOINT_IN)


def _usb_status(in_ep) -> bytes:
    import usb.core

    answer = b""
    deadline = time.monotonic() + STATUS_TIMEOUT
    while not complete_zebra(answer) and time.monotonic() < deadline:
        try:
            answer += bytes(in_ep.read(512, timeout=500))
        except usb.core.USBTimeoutError:
            continue
    return answer


@dataclass
class Escpos(Transport):
    """``escpos+tcp|usb|serial|file``: a python-escpos connection; paper checked first."""

    kind: str = "tcp"
    target: str = ""
    options: dict | None = None

    def _printer(self):
        from kiosk.hardware.escpos_slips import printer_classes

        printer = printer_classes()

        opts = self.options or {}
        if self.kind == "tcp":
            host, _, port = self.target.partition(":")
            return printer.Network(host, int(port or 9100), timeout=CONNECT_TIMEOUT)
        if self.kind == "usb":
            vendor, product = _vid_pid(self.target)
            return printer.Usb(vendor, product, timeout=int(CONNECT_TIMEOUT * 1000))
        if self.kind == "serial":
            return printer.Serial(self.target, baudrate=int(opts.get("baudrate", 9600)),
                                  timeout=1)
        return printer.File(self.target)

    def send(self, payload: bytes, name: str) -> None:
        from kiosk.hardware.escpos_slips import DeviceNotFoundError

        where = self.target
        device = None
        try:
            device = self._printer()
            device.open()
            if self.kind in ("tcp", "usb"):
                problem = escpos_paper_problem(_escpos_status(device), self.who)
                if problem:
                    raise PrinterError(problem)
            device._raw(payload)
        except PrinterError:
            raise
        except DeviceNotFoundError:
            raise PrinterError(w.filled(w.NOT_FOUND, who=self.who, where=where)) from None
        except ImportError:
            raise PrinterError(w.filled(w.NO_PYSERIAL, who=self.who)) from None
        except Exception as exc:  # pyusb, pyserial and socket errors have no common base
            raise PrinterError(w.filled(w.STOPPED_ANSWERING, who=self.who, where=where,
                                        error=str(exc))) from None
        finally:
            if device is not None:
                try:
                    device.close()
                except Exception:  # closing a broken connection must not hide the cause
                    pass


def _escpos_status(device) -> bytes:
    """The ``DLE EOT 4`` answer, or b'' when the printer does not answer in time."""
    from kiosk.hardware.escpos_slips import RT_STATUS_PAPER

    try:
        return bytes(device.query_status(RT_STATUS_PAPER))
    except (TimeoutError, NotImplementedError):
        return b""
    except Exception as exc:  # pyusb read timeouts are USBTimeoutError, not TimeoutError
        if type(exc).__name__ == "USBTimeoutError":
            return b""
        raise


def _vid_pid(text: str) -> tuple[int, int]:
    vendor, _, product = text.partition(":")
    try:
        return int(vendor, 16), int(product, 16)
    except ValueError:
        raise PrinterError(w.filled(w.BAD_USB_ADDRESS, address=repr(text))) from None


def open_transport(url: str, device: str) -> Transport:
    """The transport for a printer URL from the settings."""
    parsed = urlparse(str(url))
    scheme = parsed.scheme
    if scheme == "none" or url == "none":
        return NoPrinter(url, device)
    if scheme == "file":
        return SpoolFolder(url, device, Path(unquote(parsed.netloc + parsed.path)))
    if scheme == "zpl+tcp":
        return ZplSocket(url, device, parsed.hostname or "", parsed.port or 9100)
    if scheme == "cups":
        return CupsQueue(url, device, unquote(parsed.netloc + parsed.path).strip("/"))
    if scheme == "zpl+usb":
        vendor, product = _vid_pid(parsed.netloc)
        return ZplUsb(url, device, vendor, product)
    if scheme.startswith("escpos+"):
        kind = scheme.split("+", 1)[1]
        options = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        if kind == "tcp":
            target = f"{parsed.hostname}:{parsed.port or 9100}"
        elif kind == "usb":
            target = parsed.netloc
        elif kind in ("serial", "file"):
            target = unquote(parsed.netloc + parsed.path)
        else:
            raise PrinterError(w.filled(w.UNKNOWN_ADDRESS, who=_who(device), address=repr(url)))
        return Escpos(url, device, kind, target, options)
    raise PrinterError(w.filled(w.UNKNOWN_SCHEME, who=_who(device), address=repr(url)))
