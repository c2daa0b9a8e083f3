"""The kiosk web app. ``create_app`` assembles it; nothing happens at import."""

from __future__ import annotations

import importlib
import secrets


def create_app(overrides: dict | None = None, *, start_workers: bool = False):
    """Build the app from settings (see ``kiosk.config``); ``overrides`` win over everything."""
    # Imported here so that `import kiosk.engine` (or the syncer) never loads Flask.
    from flask import Flask
    from htmx_flask import Htmx
    from werkzeug.routing import IntegerConverter

    from kiosk import audit_key, clock, db, limits
    from kiosk import config as config_module
    from kiosk.words import Phrase

    def _say(value):
        # Every {{ }} of every template passes here: a workflow's phrase is said in the
        # screen's language; anything else is printed as it is, at the cost of one check.
        if isinstance(value, Phrase):
            from kiosk.views import language

            return language.say(value)
        return value

    class KioskFlask(Flask):
        """Flask, remembering which views and hooks need no async wrapper: it asks
        ``inspect`` again at every call of every hook, eight times a scan."""

        jinja_options = {**Flask.jinja_options, "finalize": _say}

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.synced = {}

        def ensure_sync(self, func):
            try:
                return self.synced[func]
            except KeyError:
                self.synced[func] = synced = super().ensure_sync(func)
                return synced

    class RecordNumber(IntegerConverter):
        """Every ``<int:...>`` in a route names a record: ASCII digits within the database's
        64 bits, so a longer number is "not found" rather than an overflow in the driver."""

        regex = r"[0-9]{1,19}"

        def __init__(self, map, *args, **kwargs):
            kwargs.setdefault("max", limits.RECORD_ID_MAX)
            super().__init__(map, *args, **kwargs)

    settings = config_module.load(overrides)
    clock.use_zone(settings["timezone"])
    app = KioskFlask(__name__)
    app.config["KIOSK"] = settings
    app.config["SECRET_KEY"] = settings["secret_key"] or secrets.token_hex(32)
    app.config["TEMPLATES_AUTO_RELOAD"] = False
    # Bodies are refused before they are read: a form's here, the webhook's in views/api.py.
    app.config["MAX_CONTENT_LENGTH"] = limits.FORM_BODY
    app.config["MAX_FORM_MEMORY_SIZE"] = limits.FORM_BODY
    app.config["MAX_FORM_PARTS"] = limits.FORM_PARTS
    app.url_map.converters["int"] = RecordNumber
    Htmx(app)
    db.init(settings["database"])
    audit_key.use(settings.get("audit_key"))

    @app.before_request
    def _connect():
        db.database.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc):
        if not db.database.is_closed() and not db.database.in_transaction():
            db.database.close()

    from kiosk import views

    for name in views.BLUEPRINT_MODULES:
        module = importlib.import_module(f"kiosk.views.{name}")
        app.register_blueprint(module.bp)
    views_home = importlib.import_module("kiosk.views.home")
    views_home.init_app(app)
    importlib.import_module("kiosk.views.language").init_app(app)
    if start_workers:
        from kiosk.hardware import queue

        app.extensions["print_workers"] = queue.start_background(settings)
    return app
