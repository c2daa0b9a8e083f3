"""Render ZPL to images with npm zpl-renderer-js (the zebrash engine), for the printing
tests and for browser tests that read a printed label back."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import threading
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


class ZplRenderer:
    """One node process running zpl-renderer-js for the whole session."""

    def __init__(self):
        module = ROOT / "node_modules" / "zpl-renderer-js"
        assert module.is_dir(), "npm zpl-renderer-js is missing: run `npm install` in the repo"
        self.proc = subprocess.Popen(["node", str(HERE / "render_zpl.mjs")], cwd=ROOT,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.lock = threading.Lock()

    def render(self, zpl: str, width_mm: float, height_mm: float, dpi: int) -> list[Image.Image]:
        request = {"zpl": zpl, "widthMm": width_mm, "heightMm": height_mm,
                   "dpmm": 8 if dpi == 203 else 12}
        with self.lock:
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
            reply = json.loads(self.proc.stdout.readline())
        assert "error" not in reply, reply
        return [Image.open(io.BytesIO(base64.b64decode(p))).convert("L") for p in reply["pngs"]]

    def close(self):
        """Let node finish on end of input; on a machine loaded with a whole test suite that
        can take longer than a quiet one's 20 ms, and the labels are read by then, so a node
        still running after a minute is ended rather than failing the test that used it."""
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
