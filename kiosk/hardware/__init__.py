"""Printers: label layouts to ZPL, slips to ESC/POS, the transports that deliver them, the
print queue worker and the on-screen previews. The only part of the kiosk that talks to
devices; it never imports Flask, the engine or the workflows.

Modules, from the data inward:
``labels`` (layouts) on ``label_parts`` (what a label is made of) and ``code128``;
``zpl`` (labels to ZPL); ``slips`` (slip layouts) and ``escpos_slips`` (slips to ESC/POS);
``preview`` (both as HTML); ``printer_status`` (what printers report, in words);
``transports`` (URL to printer); ``queue`` (the worker, retries, reprints, print-test);
``samples`` (worst-case sample data for print-test and the benchmark).
Why something did not print is said in ``kiosk.printer_words``, outside this package, since
screens say those sentences again in the reader's language.
"""
