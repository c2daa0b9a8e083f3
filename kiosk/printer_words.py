"""What the kiosk says when a label or slip does not print: one sentence a person can act on.

A print job keeps its problem's English in ``last_error`` (records and tests read it as it
always was); the print jobs screen and a print step say it again in their reader's
language: ``kiosk.kept_words`` registers every message here that has places with
``kept_forms``, so ``Known`` finds it again by its English. The printer's name or address,
a CUPS queue and an operating system's error text are data, not words: they are kept as
they are.
"""

from __future__ import annotations

from kiosk.words import Phrase, _


def filled(message: Phrase, **args) -> Phrase:
    """``message`` (one of the messages below) with its places filled in."""
    return Phrase(message.message, args)


# Who the sentence is about, at its start and inside it.
WHO = {"label": _("The label printer"), "receipt": _("The receipt printer")}
SOME_PRINTER = _("The printer")
WHO_INSIDE = {"label": _("the label printer"), "receipt": _("the receipt printer")}
SOME_PRINTER_INSIDE = _("the printer")

# What a printer says about itself (``printer_status``).
HEAD_OPEN = _("{who}'s print head is open. Close the print head and press Retry.")
OUT_OF_LABELS = _("{who} is out of paper. Load labels and press Retry.")
OUT_OF_RIBBON = _("{who} is out of ribbon. Load a new ribbon and press Retry.")
TOO_HOT = _("{who}'s print head is too hot. Let it cool for a few minutes, then press Retry.")
TOO_COLD = _("{who} is too cold to print. Move it somewhere warmer and press Retry.")
MEMORY_FULL = _("{who}'s memory is full. Wait a minute and press Retry.")
PAUSED = _("{who} is paused. Press the pause button on the printer, then press Retry.")
OUT_OF_ROLL = _("{who} is out of paper. Load a new paper roll and press Retry.")

# Getting the bytes there (``transports``).
NO_LABEL_PRINTER = _("No label printer is set up for this kiosk (KIOSK_LABEL_PRINTER is "
                     "none). Ask a manager to set one up, then press Retry.")
NO_RECEIPT_PRINTER = _("No receipt printer is set up for this kiosk (KIOSK_RECEIPT_PRINTER is "
                       "none). Ask a manager to set one up, then press Retry.")
SPOOL_UNWRITABLE = _("{who}'s spool folder {folder} cannot be written ({error}). Check the "
                     "disk, then press Retry.")
NOT_UNDERSTOOD_AT = _("{who} at {where} gave an answer the kiosk does not understand. Check "
                      "that the address is a Zebra label printer, then press Retry.")
REFUSED = _("{who} at {where} refused the connection. Check that it is switched on and press "
            "Retry.")
NO_ANSWER = _("{who} at {where} did not answer. Check that it is switched on and on the "
              "network, then press Retry.")
UNREACHABLE = _("{who} at {where} could not be reached ({error}). Check its network cable and "
                "power, then press Retry.")
CUPS_HANDOFF = _("{who} could not be handed to CUPS ({error}). Check that CUPS is installed "
                 "and running, then press Retry.")
CUPS_MISSING = _("{who} uses CUPS, but CUPS is not installed on this computer. Ask IT to "
                 "install cups and cups-bsd.")
CUPS_SILENT = _("CUPS did not answer about {printer}. Check that CUPS is running, then press "
                "Retry.")
CUPS_DOWN = _("CUPS is not running, so nothing can be printed. Ask IT to start CUPS, then "
              "press Retry.")
CUPS_NO_QUEUE = _("{who}'s CUPS queue '{queue}' does not exist. Ask a manager to check the "
                  "printer settings.")
CUPS_STOPPED = _("{who}'s CUPS queue '{queue}' is stopped. Ask a manager to resume it "
                 "(cupsenable {queue}), then press Retry.")
CUPS_REFUSING = _("{who}'s CUPS queue '{queue}' is not accepting jobs. Ask a manager to run "
                  "cupsaccept {queue}, then press Retry.")
NO_LIBUSB = _("USB printing needs the libusb library, which is missing. Ask IT to install the "
              "libusb-1.0-0 package.")
USB_NOT_CONNECTED = _("{who} ({where}) is not connected. Check its USB cable and power, then "
                      "press Retry.")
USB_BUSY = _("{who} ({where}) is in use by another program. Close other printing programs, "
             "then press Retry.")
USB_NOT_ALLOWED = _("The kiosk is not allowed to use {printer} ({where}). Ask IT to install "
                    "the kiosk's udev rule.")
USB_STOPPED = _("{who} ({where}) stopped answering ({error}). Unplug it, plug it back in, and "
                "press Retry.")
USB_NOT_UNDERSTOOD = _("{who} ({where}) gave an answer the kiosk does not understand. Check "
                       "that it is a Zebra label printer.")
NOT_FOUND = _("{who} ({where}) could not be found. Check that it is switched on and "
              "connected, then press Retry.")
NO_PYSERIAL = _("{who} is a serial printer, and the pyserial package is missing. Ask IT to "
                "install it.")
STOPPED_ANSWERING = _("{who} ({where}) stopped answering ({error}). Check its cable and power, "
                      "then press Retry.")
BAD_USB_ADDRESS = _("The printer address USB {address} is not VID:PID in hex (for example "
                    "0a5f:0164). Ask a manager to fix the setting.")
UNKNOWN_ADDRESS = _("{who} address {address} is not one the kiosk knows.")
UNKNOWN_SCHEME = _("{who} address {address} is not one the kiosk knows. Use zpl+tcp://, "
                   "cups://, zpl+usb://, escpos+…:// or file://.")

# The print queue (``queue``).
INTERRUPTED = _("The kiosk stopped while this was being sent to the printer. Check whether "
                "it printed; press Retry if it did not.")
NOT_MADE = _("This {layout} could not be made: {problem}")
NO_SUCH_DEVICE = _("There is no printer called {device}; use label or receipt.")
UNEXPECTED = _("{who} failed in an unexpected way ({error}). Press Retry; if it keeps "
               "failing, call support.")

# A label or slip that cannot be made from its data (``labels``, ``slips``, ``preview``).
NO_LABEL_LAYOUT = _("There is no label layout called {layout}.")
NO_SLIP_LAYOUT = _("There is no slip layout called {layout}.")
NO_LAYOUT = _("There is no layout called {layout}.")
BAD_STOCK = _("Label stock must be 2x1 or 4x6, not {stock}.")
BAD_DPI = _("Label printers are 203 or 300 dpi, not {dpi}.")
DOES_NOT_FIT = _("The {layout} layout does not fit a {stock} label ({height} mm of {room} "
                 "mm).")
REASON_TOO_LONG = _("The reason is too long to print whole on a {stock} label ({length} "
                    "characters). Print it on 4x6 labels, or shorten it.")
MATRIX_TOO_FULL = _("Too much data for a DataMatrix on this label.")
EMPTY_BARCODE = _("A barcode needs at least one character.")
BARCODE_CHARACTER = _("A barcode can only hold plain letters, digits and signs, not "
                      "{character}.")
CANNOT_SHOW = _("This cannot be shown: {problem}")

# Every message with places, for ``kept_forms``.
KEPT = (HEAD_OPEN, OUT_OF_LABELS, OUT_OF_RIBBON, TOO_HOT, TOO_COLD, MEMORY_FULL, PAUSED,
        OUT_OF_ROLL, SPOOL_UNWRITABLE, NOT_UNDERSTOOD_AT, REFUSED, NO_ANSWER, UNREACHABLE,
        CUPS_HANDOFF, CUPS_MISSING, CUPS_SILENT, CUPS_NO_QUEUE, CUPS_STOPPED, CUPS_REFUSING,
        USB_NOT_CONNECTED, USB_BUSY, USB_NOT_ALLOWED, USB_STOPPED, USB_NOT_UNDERSTOOD,
        NOT_FOUND, NO_PYSERIAL, STOPPED_ANSWERING, BAD_USB_ADDRESS, UNKNOWN_SCHEME,
        UNKNOWN_ADDRESS, NOT_MADE, NO_SUCH_DEVICE, UNEXPECTED, NO_LABEL_LAYOUT,
        NO_SLIP_LAYOUT, NO_LAYOUT, BAD_STOCK, BAD_DPI, DOES_NOT_FIT, REASON_TOO_LONG,
        BARCODE_CHARACTER)


def who(device: str) -> Phrase:
    """The printer a sentence starts with: "The label printer"."""
    return WHO.get(device, SOME_PRINTER)


def who_inside(device: str) -> Phrase:
    """The printer inside a sentence: "the label printer"."""
    return WHO_INSIDE.get(device, SOME_PRINTER_INSIDE)
