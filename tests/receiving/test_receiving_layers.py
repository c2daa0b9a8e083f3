"""The receiving procedure and its queries stay sans-IO: no Flask, no devices, no syncer."""

from __future__ import annotations

import subprocess
import sys


def test_receiving_imports_no_web_hardware_or_sync():
    code = ("import sys, kiosk.manifests, kiosk.workflows.receiving, "
            "kiosk.workflows.paper_manifest\n"
            "print(sorted(m for m in sys.modules if m == 'flask' or m.startswith("
            "('flask.', 'kiosk.hardware', 'kiosk.sync', 'kiosk.views'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"
