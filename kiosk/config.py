"""Settings: defaults, then kiosk.toml, then KIOSK_* environment variables, then test overrides.

Every setting has one name; the environment variable is ``KIOSK_`` plus that name in upper
case, and the TOML key is the name in lower case. A bad value stops start-up with one line
that names the setting and says what is wrong (``ConfigError``).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from urllib.parse import urlparse

from kiosk import clock


class ConfigError(Exception):
    """A setting is missing or malformed; the message names it and says how to fix it."""


DEFAULT_DATA = Path(os.environ.get("KIOSK_HOME", "var")).absolute()

DEFAULTS: dict[str, object] = {
    "database": f"sqlite:///{DEFAULT_DATA / 'kiosk.db'}",
    "license": "C10-0000001-LIC",
    "store_name": "Demo Dispensary",
    "state_system": "metrc",
    "metrc_url": "http://127.0.0.1:8181",
    "metrc_vendor_key": "training-vendor-key",
    "metrc_user_key": "training-user-key",
    "metrc_state": "ca",
    "pos": "none",
    "pos_secret": "",
    # Dutchie: the location's API key (HTTP Basic user) and the integrator key (password;
    # empty for older keys). The defaults are the ones the training Dutchie sandbox takes.
    "pos_location_key": "training-location-key",
    "pos_integrator_key": "training-integrator-key",
    "label_printer": f"file://{DEFAULT_DATA / 'spool'}",
    "receipt_printer": f"file://{DEFAULT_DATA / 'spool'}",
    "label_stock": "2x1",
    "label_dpi": 203,
    "station": "receiving-1",
    "scale": "none",  # the bench scale: none, sics+serial:///dev/ttyUSB0?baudrate=9600, stream+serial://…
    # The store's clock: the dates Metrc gets and the times people read. The demo store is in
    # California (licence C10-…, Metrc CA); every other store must set its own.
    "timezone": clock.DEFAULT_ZONE,
    # The screens' language while nobody is logged in (a person reads their own): en or es.
    "language": "en",
    "secret_key": "",
    "training": True,
    "idle_seconds": 90,
    "idle_warning_seconds": 20,
    "lockout_failures": 5,
    "lockout_seconds": 300,
    "sync_deadline_hours": 24,
    # Where the end-of-day reports' PDFs are kept (7 years); empty: reports/ beside an
    # SQLite database, or in KIOSK_HOME (var/ by default) for PostgreSQL.
    "reports_folder": "",
    # The audit chain's key file (kiosk.audit_key); empty: audit.key beside an SQLite
    # database, or in KIOSK_HOME (var/ by default) for PostgreSQL. Its anchor log sits beside it.
    "audit_key": "",
    "sync_pull_minutes": 5,
    "metrc_timeout": 15,
    "potency_tolerance_pct": 10.0,
    "witness_receiving": "discrepancy",
    "workers": 0,
    # Packages the opening spot count and the closing count take (the day's best sellers).
    "recon_count_packages": 10,
    # The pick queue: the store's target from request to hand-off (the manager's view colours
    # ages against it), and how long a claim may sit idle before it goes back to the queue.
    "pick_target_minutes": 5,
    "pick_idle_minutes": 10,
    # Where open queue screens hear that the queue changed (kiosk.pick_events); 0: the
    # kiosk's port + 1.
    "events_port": 0,
}

_INTS = {"label_dpi", "idle_seconds", "idle_warning_seconds", "lockout_failures",
         "lockout_seconds", "sync_deadline_hours", "sync_pull_minutes", "metrc_timeout", "workers",
         "recon_count_packages", "pick_target_minutes", "pick_idle_minutes", "events_port"}
_FLOATS = {"potency_tolerance_pct"}
_BOOLS = {"training"}
_CHOICES = {
    "state_system": {"metrc", "biotrack", "none"},
    "label_stock": {"2x1", "4x6"},
    "witness_receiving": {"always", "discrepancy", "never"},
    "language": {"en", "es"},
}
_PRINTER_SCHEMES = {
    "label_printer": {"zpl+tcp", "cups", "zpl+usb", "file", "none"},
    "receipt_printer": {"escpos+tcp", "escpos+usb", "escpos+serial", "escpos+file", "file", "none"},
}


def env_name(key: str) -> str:
    """The environment variable that sets ``key``."""
    return "KIOSK_" + key.upper()


def load(overrides: dict | None = None, environ: dict | None = None) -> dict:
    """Return the validated settings as a plain dict (lower-case keys)."""
    environ = os.environ if environ is None else environ
    settings = dict(DEFAULTS)
    toml_path = environ.get("KIOSK_SETTINGS")
    if toml_path:
        path = Path(toml_path)
        if not path.is_file():
            raise ConfigError(f"KIOSK_SETTINGS: no settings file at {path}.")
        try:
            data = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"KIOSK_SETTINGS: {path} is not valid TOML ({exc}).") from None
        for key, value in data.items():
            if key not in DEFAULTS:
                raise ConfigError(f"{path}: unknown setting '{key}'.")
            settings[key] = value
    for key in DEFAULTS:
        if env_name(key) in environ:
            settings[key] = environ[env_name(key)]
    settings.update(overrides or {})
    return _validate(settings)


def _validate(settings: dict) -> dict:
    for key in _INTS:
        try:
            settings[key] = int(settings[key])
        except (TypeError, ValueError):
            raise ConfigError(
                f"{env_name(key)} must be a whole number, not {settings[key]!r}.") from None
    for key in _FLOATS:
        try:
            settings[key] = float(settings[key])
        except (TypeError, ValueError):
            raise ConfigError(
                f"{env_name(key)} must be a number, not {settings[key]!r}.") from None
    for key in _BOOLS:
        value = settings[key]
        if isinstance(value, str):
            if value.lower() not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
                raise ConfigError(f"{env_name(key)} must be true or false, not {value!r}.")
            value = value.lower() in {"1", "true", "yes", "on"}
        settings[key] = bool(value)
    for key, allowed in _CHOICES.items():
        if settings[key] not in allowed:
            raise ConfigError(f"{env_name(key)} must be one of {', '.join(sorted(allowed))}, "
                              f"not {settings[key]!r}.")
    for key, schemes in _PRINTER_SCHEMES.items():
        scheme = urlparse(str(settings[key])).scheme
        if scheme not in schemes:
            raise ConfigError(
                f"{env_name(key)}: {settings[key]!r} is not a printer address; use one of "
                + ", ".join(f"{s}://…" for s in sorted(schemes)) + ".")
    from kiosk.hardware.scale import problem as scale_problem

    wrong = scale_problem(settings["scale"])
    if wrong:
        raise ConfigError(f"KIOSK_SCALE: {wrong}.")
    db_scheme = urlparse(str(settings["database"])).scheme
    if db_scheme not in {"sqlite", "postgresql", "postgres"}:
        raise ConfigError(
            f"KIOSK_DATABASE: {settings['database']!r} is not a database URL; use "
            "sqlite:////absolute/path.db or postgresql://user@host/name.")
    if urlparse(str(settings["database"])).query:
        from kiosk.db import store_schema

        if db_scheme == "sqlite":
            raise ConfigError("KIOSK_DATABASE: ?schema= is for a chain's stores sharing one "
                              "PostgreSQL database; an SQLite file holds one store already.")
        try:
            store_schema(str(settings["database"]))
        except ValueError as exc:
            raise ConfigError(f"KIOSK_DATABASE: {exc}.") from None
    _validate_pos(settings)
    if not 1 <= settings["recon_count_packages"] <= 200:
        raise ConfigError("KIOSK_RECON_COUNT_PACKAGES must be between 1 and 200, not "
                          f"{settings['recon_count_packages']}.")
    try:
        clock.zone_named(settings["timezone"])
    except ValueError:
        raise ConfigError(f"KIOSK_TIMEZONE: {settings['timezone']!r} is not a time zone; use "
                          "the store's zone name, for example America/Denver.") from None
    settings["timezone"] = str(settings["timezone"]).strip()
    settings["reports_folder"] = str(settings["reports_folder"]).strip()
    if settings["reports_folder"] and not Path(settings["reports_folder"]).is_absolute():
        raise ConfigError("KIOSK_REPORTS_FOLDER must be an absolute path, not "
                          f"{settings['reports_folder']!r}.")
    for key in ("pick_target_minutes", "pick_idle_minutes"):
        if settings[key] < 1:
            raise ConfigError(f"{env_name(key)} must be at least 1 minute, not {settings[key]}.")
    if not str(settings["station"]).strip():
        raise ConfigError("KIOSK_STATION must name this screen, for example receiving-1.")
    return settings


POS_ADAPTERS = ("webhook", "dutchie")


def _validate_pos(settings: dict) -> None:
    """``none``, or an adapter and its server: ``webhook+https://…``, ``dutchie+https://…``."""
    value = str(settings["pos"]).strip()
    settings["pos"] = value
    if value == "none":
        return
    adapter, _, url = value.partition("+")
    parsed = urlparse(url)
    if adapter not in POS_ADAPTERS or parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(f"KIOSK_POS must be 'none', 'webhook+https://…' or "
                          f"'dutchie+https://HOST', not {value!r}.")
    if adapter == "dutchie":
        for key in ("pos_location_key", "pos_integrator_key"):
            settings[key] = str(settings[key] or "").strip()
        if not settings["pos_location_key"]:
            raise ConfigError("KIOSK_POS_LOCATION_KEY must hold the Dutchie location's API "
                              "key when KIOSK_POS is dutchie+….")
