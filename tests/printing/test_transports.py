"""Each printer address kind, against a real CUPS, fake network printers, a pty standing in
for a serial port and a fake USB device (pyusb has no loopback device)."""

from __future__ import annotations

import os
import time
import tty

import pytest
from escpos_reader import read

from kiosk.hardware import samples
from kiosk.hardware.escpos_slips import slip_bytes
from kiosk.hardware.printer_status import PrinterError
from kiosk.hardware.transports import open_transport
from kiosk.hardware.zpl import label_zpl

ZPL = label_zpl("package_label", samples.LABELS["package_label"], {}).encode()
SLIP = slip_bytes("vault_access_slip", samples.SLIPS["vault_access_slip"], {})


def test_cups_raw_queue_delivers_the_zpl_unchanged(cups, zebra_printer):
    """kiosk -> zebra package -> lpr -> cupsd -> socket backend -> the printer."""
    queue = cups.add_raw_queue("KioskZebra", zebra_printer.port)
    open_transport(f"cups://{queue}", "label").send(ZPL, "job-1.zpl")
    got = zebra_printer.wait_for_jobs(1)
    assert got == [ZPL], cups.log()


def test_cups_missing_queue_is_explained(cups):
    with pytest.raises(PrinterError) as err:
        open_transport("cups://NoSuchQueue", "label").send(ZPL, "job-1.zpl")
    assert str(err.value) == ("The label printer's CUPS queue 'NoSuchQueue' does not exist. "
                              "Ask a manager to check the printer settings.")


def test_cups_stopped_queue_is_explained_and_nothing_is_queued(cups, zebra_printer):
    queue = cups.add_raw_queue("KioskStopped", zebra_printer.port)
    cups.run("cupsdisable", queue)
    with pytest.raises(PrinterError, match="CUPS queue 'KioskStopped' is stopped"):
        open_transport(f"cups://{queue}", "label").send(ZPL, "job-1.zpl")
    assert cups.run("lpstat", "-o", queue).stdout == ""


def test_escpos_network_printer_gets_the_slip(receipt_printer):
    open_transport(f"escpos+tcp://127.0.0.1:{receipt_printer.port}", "receipt").send(
        SLIP, "slip")
    got = receipt_printer.wait_for_jobs(1)
    assert got == [SLIP] and receipt_printer.status_queries == 1
    assert "Ana Peña" in read(got[0]).lines


def test_escpos_network_printer_out_of_paper(receipt_printer):
    receipt_printer.paper_byte = 0x72  # DLE EOT 4: paper end sensor bits set
    with pytest.raises(PrinterError) as err:
        open_transport(f"escpos+tcp://127.0.0.1:{receipt_printer.port}", "receipt").send(
            SLIP, "slip")
    assert str(err.value) == ("The receipt printer is out of paper. Load a new paper roll and "
                              "press Retry.")
    assert receipt_printer.wait_for_jobs(0, timeout=0.5) == []


def test_zebra_printer_that_never_answers_status_still_gets_the_job(zebra_printer,
                                                                    monkeypatch):
    from kiosk.hardware import transports

    monkeypatch.setattr(transports, "STATUS_TIMEOUT", 0.3)
    zebra_printer.silent = True
    open_transport(f"zpl+tcp://127.0.0.1:{zebra_printer.port}", "label").send(ZPL, "x")
    (got,) = zebra_printer.wait_for_jobs(1)
    assert got == b"~HS" + ZPL + b"~HS"


def test_serial_receipt_printer_through_a_pty():
    controller, device = os.openpty()
    tty.setraw(controller)
    tty.setraw(device)
    path = os.ttyname(device)
    try:
        open_transport(f"escpos+serial://{path}?baudrate=19200", "receipt").send(SLIP, "s")
        received = b""
        os.set_blocking(controller, False)
        deadline = time.monotonic() + 5
        while len(received) < len(SLIP) and time.monotonic() < deadline:
            try:
                received += os.read(controller, 65536)
            except BlockingIOError:
                time.sleep(0.02)
        assert received == SLIP
    finally:
        os.close(controller)
        os.close(device)


class FakeEndpoint:
    def __init__(self, address, device):
        self.bEndpointAddress = address
        self.device = device

    def write(self, data, timeout=None):
        self.device.written.append(bytes(data))
        if bytes(data) == b"~HS":
            self.device.pending += self.device.status
        return len(data)

    def read(self, size, timeout=None):
        import usb.core

        if not self.device.pending:
            raise usb.core.USBTimeoutError("timeout", errno=110)
        chunk, self.device.pending = self.device.pending[:size], self.device.pending[size:]
        return chunk


class FakeUsbPrinter:
    """What pyusb would hand us for a USB Zebra: one interface, bulk OUT 0x01 and IN 0x81."""

    def __init__(self, status: bytes):
        self.status, self.pending, self.written = status, b"", []
        self.endpoints = [FakeEndpoint(0x01, self), FakeEndpoint(0x81, self)]
        self.kernel_driver_detached = False

    def is_kernel_driver_active(self, interface):
        return not self.kernel_driver_detached

    def detach_kernel_driver(self, interface):
        self.kernel_driver_detached = True

    def get_active_configuration(self):
        return {(0, 0): self}

    def __iter__(self):
        return iter(self.endpoints)


@pytest.fixture
def usb_printer(monkeypatch, zebra_printer):
    import usb.core
    import usb.util

    found = {}

    def install(status):
        device = FakeUsbPrinter(status)
        found["device"] = device
        monkeypatch.setattr(usb.core, "find",
                            lambda idVendor, idProduct: device
                            if (idVendor, idProduct) == (0x0A5F, 0x0164) else None)
        monkeypatch.setattr(usb.util, "find_descriptor",
                            lambda interface, custom_match: next(
                                (e for e in interface if custom_match(e)), None))
        monkeypatch.setattr(usb.util, "dispose_resources", lambda d: None)
        return device

    return install


def test_usb_zebra_gets_the_job_after_a_good_status(usb_printer, zebra_printer):
    device = usb_printer(zebra_printer._hs())
    open_transport("zpl+usb://0a5f:0164", "label").send(ZPL, "x")
    assert device.kernel_driver_detached
    assert device.written == [b"~HS", ZPL]


def test_usb_zebra_with_head_open_gets_nothing(usb_printer, zebra_printer):
    zebra_printer.head_open = True
    device = usb_printer(zebra_printer._hs())
    with pytest.raises(PrinterError, match="print head is open"):
        open_transport("zpl+usb://0a5f:0164", "label").send(ZPL, "x")
    assert device.written == [b"~HS"]


def test_usb_printer_unplugged(usb_printer, zebra_printer):
    usb_printer(zebra_printer._hs())
    with pytest.raises(PrinterError) as err:
        open_transport("zpl+usb://0a5f:0999", "label").send(ZPL, "x")
    assert str(err.value) == ("The label printer (USB 0a5f:0999) is not connected. Check its "
                              "USB cable and power, then press Retry.")


def test_no_printer_configured(tmp_path):
    with pytest.raises(PrinterError, match="No receipt printer is set up for this kiosk"):
        open_transport("none", "receipt").send(SLIP, "x")


def test_unwritable_spool_folder_is_explained(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(PrinterError, match="spool folder .* cannot be written"):
        open_transport(f"file://{blocker}/spool", "label").send(ZPL, "x.zpl")


class FakeBackend:
    """Stands for pyusb's backend; python-escpos only looks at its module name."""


class FakeUsbReceiptPrinter:
    """What pyusb hands python-escpos for an Epson on USB: write to 0x01, read from 0x82."""

    backend = FakeBackend()  # not libusb1: python-escpos then leaves the kernel driver alone

    def __init__(self, paper_byte):
        self.paper_byte, self.written, self.reads = paper_byte, b"", 0

    def set_configuration(self):
        pass

    def reset(self):
        pass

    def write(self, endpoint, data, timeout=None):
        assert endpoint == 0x01
        self.written += bytes(data)
        return len(data)

    def read(self, endpoint, size, timeout=None):
        assert endpoint == 0x82 and self.written.endswith(b"\x10\x04\x04")
        self.reads += 1
        return bytes([self.paper_byte])


@pytest.mark.parametrize("paper_byte, sent", [(0x12, True), (0x72, False)])
def test_escpos_usb_printer_checks_paper_then_prints(monkeypatch, paper_byte, sent):
    import usb.core
    import usb.util

    device = FakeUsbReceiptPrinter(paper_byte)
    monkeypatch.setattr(usb.core, "find", lambda **kw: device
                        if (kw["idVendor"], kw["idProduct"]) == (0x04B8, 0x0202) else None)
    monkeypatch.setattr(usb.util, "dispose_resources", lambda d: None)
    transport = open_transport("escpos+usb://04b8:0202", "receipt")
    if sent:
        transport.send(SLIP, "slip")
        assert device.written == b"\x10\x04\x04" + SLIP and device.reads == 1
    else:
        with pytest.raises(PrinterError, match="receipt printer is out of paper"):
            transport.send(SLIP, "slip")
        assert device.written == b"\x10\x04\x04"


def test_escpos_usb_printer_unplugged(monkeypatch):
    import usb.core

    monkeypatch.setattr(usb.core, "find", lambda **kw: None)
    with pytest.raises(PrinterError) as err:
        open_transport("escpos+usb://04b8:0202", "receipt").send(SLIP, "slip")
    assert str(err.value) == ("The receipt printer (04b8:0202) could not be found. Check that "
                              "it is switched on and connected, then press Retry.")


def test_escpos_file_device_gets_the_bytes(tmp_path):
    device = tmp_path / "lp0"  # stands for /dev/usb/lp0 (the kernel's usblp driver)
    open_transport(f"escpos+file://{device}", "receipt").send(SLIP, "slip")
    assert device.read_bytes() == SLIP


def test_hardware_layer_imports_no_flask_engine_or_workflows():
    """Layering: printing code runs in a worker without the web app, engine or syncer."""
    import ast
    from pathlib import Path

    import kiosk.hardware

    forbidden = ("flask", "htmx_flask", "kiosk.engine", "kiosk.workflows", "kiosk.sync",
                 "kiosk.views", "kiosk.ledger")
    found = []
    for path in Path(kiosk.hardware.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            found += [f"{path.name}: {n}" for n in names if n.startswith(forbidden)]
    assert found == []
