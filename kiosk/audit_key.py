"""The audit chain's key: a secret kept in a file outside the database.

The chain's entries are signed with HMAC-SHA256 under this key, so someone who can edit the
database but cannot read the file (only the service user may) cannot write an entry that
`kiosk verify` takes, nor hash the chain again after an edit. The file sits beside an SQLite
database (``audit.key``), or in KIOSK_HOME for PostgreSQL, unless the ``audit_key`` setting
names another place. It is made, 32 random bytes readable by its owner alone, the first
time the kiosk starts (or by deploy/install.sh for the service user); `kiosk verify` never
makes one: a missing key is a finding.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from kiosk import config
from kiosk.db import database, is_sqlite
from kiosk.words import _

KEY_BYTES = 32

_chosen: dict[str, Path] = {}  # a store (``_store_id``) -> its key file, where one was named
_loaded: dict[Path, bytes] = {}


class MissingKey(RuntimeError):
    """The key file is not there (or unreadable): nothing can be signed or checked."""


def store_name() -> str:
    """A name for the bound store: its SQLite file's, or its PostgreSQL database and schema."""
    real = database.obj
    if is_sqlite():
        return Path(real.database).stem
    schema = (real.connect_params.get("options") or "").partition("search_path=")[2]
    return "-".join(part for part in (real.database, schema) if part)


def default_path() -> Path:
    """Where the bound store's key lives when no setting says: beside its SQLite file, else in
    KIOSK_HOME."""
    if is_sqlite() and database.obj.database != ":memory:":
        return _sqlite_file().parent / "audit.key"
    return config.DEFAULT_DATA / "audit.key"


def _sqlite_file() -> Path:
    name = str(database.obj.database)  # sqlite:////abs/path leaves two slashes in front
    return Path("/" + name.lstrip("/")) if name.startswith("/") else Path(name).absolute()


def _store_id() -> str:
    real = database.obj
    if is_sqlite():
        return str(_sqlite_file())
    params = real.connect_params
    return f"{params.get('host')}:{params.get('port')}/{store_name()}"


def use(where: str | os.PathLike | None) -> Path:
    """Sign the bound store's chain with the key at ``where``. Empty: the place named for
    this store before in this process, else the default place."""
    if where:
        _chosen[_store_id()] = Path(where).absolute()
    return path()


def path() -> Path:
    """The key file of the bound store."""
    return _chosen.get(_store_id()) or default_path()


def create(where: Path) -> bool:
    """Make a new key at ``where``, readable and writable by its owner alone; False if one
    is there already (a key is never replaced: every entry signed with it would fail)."""
    where.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(where, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_hex(KEY_BYTES) + "\n")
        out.flush()
        os.fsync(out.fileno())
    return True


def _load(where: Path, make: bool) -> bytes:
    key = _loaded.get(where)
    if key is not None and make:  # a check (make=False) reads the file as it is now
        return key
    if make:
        create(where)
    try:
        key = bytes.fromhex(where.read_text().strip())
    except (OSError, ValueError) as exc:
        raise MissingKey(_("The audit key {where} cannot be read ({problem}); the chain "
                           "cannot be signed or checked without it. Restore it from the "
                           "store's backup.", where=str(where), problem=str(exc))) from None
    if len(key) < 16:
        raise MissingKey(_("The audit key {where} is too short to be one the kiosk made.",
                           where=str(where)))
    _loaded[where] = key
    return key


def key(make: bool = True) -> bytes:
    """The bound store's key (the file made on first use unless ``make`` is False)."""
    return _load(path(), make)


_pads: dict[bytes, tuple] = {}


def pads(secret: bytes) -> tuple:
    """HMAC-SHA256's inner and outer hashes with ``secret`` already fed (RFC 2104), to copy
    for each message: a year's two million entries are signed again in a third of the time
    ``hmac.digest`` takes, which starts from the key every time."""
    found = _pads.get(secret)
    if found is None:
        block = (hashlib.sha256(secret).digest() if len(secret) > 64 else secret)
        block = block.ljust(64, b"\0")
        found = _pads[secret] = (hashlib.sha256(bytes(b ^ 0x36 for b in block)),
                                 hashlib.sha256(bytes(b ^ 0x5C for b in block)))
    return found


def sign(body: bytes, secret: bytes | None = None) -> str:
    """HMAC-SHA256 of ``body`` under the store's key (or ``secret``), in hex."""
    inner, outer = pads(secret or key())
    inner, outer = inner.copy(), outer.copy()
    inner.update(body)
    outer.update(inner.digest())
    return outer.hexdigest()
