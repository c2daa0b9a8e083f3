"""The host's yardstick for bench_scan: the least a scan's answer can cost on this machine.

A bare Flask app under waitress, laid out exactly as ``kiosk serve`` lays out the kiosk (the
same number of processes and threads on one port, the same least-connections rule), that
does only what every answer to a scan must: read the form the screen posts and render a
small step fragment with its feedback header. No database, no session, no step writer.

On a shared host the same code has run at a sixth of the speed it reached a minute later,
so a scan's milliseconds alone cannot say whether a change or the machine moved them.
bench_scan times this server between its own rounds, with the same connections and
the same requests, so each of its figures comes with what the machine gave any answer then.

    python bench/reference_server.py --host 127.0.0.1 --port 8099
"""

from __future__ import annotations

import argparse
import json
import logging
import socket
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask import Flask, make_response, request  # noqa: E402

from kiosk import config, server  # noqa: E402

NEXT = {"package": "destination", "destination": "package"}


def reference_app() -> Flask:
    app = Flask("reference")
    fragment = app.jinja_env.from_string(
        '<section id="step" data-step="{{ step }}" data-rev="{{ rev }}">'
        "<h1>{{ prompt }}</h1><p>Last scan: {{ value }}</p>"
        '<form method="post"><input type="hidden" name="rev" value="{{ rev }}"></form>'
        "</section>")

    @app.post("/runs/<int:run_id>/steps/<step_id>")
    def step(run_id: int, step_id: str):
        form = request.form
        following = NEXT.get(step_id, "package")
        response = make_response(fragment.render(
            step=following, rev=int(form.get("rev", "0")) + 1, value=form.get("value", ""),
            prompt=f"Scan the {'shelf' if following == 'destination' else 'next package'}."))
        response.headers["HX-Trigger"] = json.dumps(
            {"kiosk:feedback": {"tone": "ok", "message": "Done."}})
        return response

    @app.get("/healthz")
    def healthz():
        return "ok"

    return app


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # as kiosk serve does
    app = reference_app()
    listener = socket.create_server((args.host, args.port), backlog=1024)
    children = server.fork_workers(listener, server.worker_count(config.load()),
                                   lambda number: app, ident="reference")
    listener.close()
    return server.supervise(children)


if __name__ == "__main__":
    sys.exit(main())
