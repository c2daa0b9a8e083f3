"""deploy/install.sh on a fresh Debian box, in a throwaway root.

The root starts as a fresh Debian 12 install would be for the installer: the base system's
/etc/passwd, group, shadow, gshadow and login.defs, systemd's unit tree (/usr/lib/systemd/
system, copied from this machine), and the files of the Debian packages cage and curl, which
the units run (copied from this machine's installed packages, as dpkg lists them; apt is what
installs them on a live box, and `make test` installs them here). ``--root`` makes the
installer write there: ``useradd --prefix``, ``systemctl --root``, no apt, no udev reload, no
daemon-reload. The venv it makes is real (pip from the project's cache), and the database is
migrated by the kiosk user's uid.

A second run must change nothing anywhere in the root (paths, modes, owners, contents, mtimes)
and say so, and every unit must pass ``systemd-analyze verify`` against the root.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import tempfile
import tomllib
from contextlib import closing
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = ("kiosk-app.service", "kiosk-sync.service", "kiosk-backup.service",
         "kiosk-backup.timer", "kiosk-browser@.service")
PACKAGES_THE_UNITS_RUN = ("cage", "curl")


def fresh_debian(root: Path) -> None:
    """What the installer finds on a freshly installed Debian box (see the module's doc)."""
    etc = root / "etc"
    etc.mkdir(parents=True)
    for name in ("passwd", "group", "login.defs"):
        shutil.copy(f"/etc/{name}", etc / name)
    names = [line.split(":")[0] for line in (etc / "passwd").read_text().splitlines()]
    assert "kiosk" not in names, "this machine has a kiosk user; the root would inherit it"
    (etc / "shadow").write_text("".join(f"{n}:*:19000:0:99999:7:::\n" for n in names))
    groups = [line.split(":")[0] for line in (etc / "group").read_text().splitlines()]
    (etc / "gshadow").write_text("".join(f"{g}:*::\n" for g in groups))
    (etc / "shadow").chmod(0o640)
    (etc / "gshadow").chmod(0o640)
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    for package in PACKAGES_THE_UNITS_RUN:
        listed = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True)
        assert listed.returncode == 0, f"Debian's {package} is not installed (make test does)"
        for name in listed.stdout.split():
            source, target = Path(name), root / name.lstrip("/")
            if source.is_file() and not source.is_symlink():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)


def install(root: Path, *args: str) -> str:
    done = subprocess.run([str(DEPLOY / "install.sh"), "--root", str(root), *args],
                          capture_output=True, text=True, timeout=600, cwd="/")
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def snapshot(root: Path) -> dict[str, tuple]:
    """Every path under ``root``: its kind, mode, owner, group, mtime, and content hash or
    link target."""
    found = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder, name)
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                what = os.readlink(path)
            elif stat.S_ISREG(info.st_mode):
                what = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                what = ""
            found[str(path.relative_to(root))] = (stat.filemode(info.st_mode), info.st_uid,
                                                  info.st_gid, info.st_mtime_ns, what)
    info = root.stat()
    found["."] = (stat.filemode(info.st_mode), info.st_uid, info.st_gid, info.st_mtime_ns, "")
    return found


def account(root: Path, file: str, name: str) -> list[str]:
    lines = [line.split(":") for line in (root / "etc" / file).read_text().splitlines()]
    return next(fields for fields in lines if fields[0] == name)


def owned(path: Path) -> tuple[str, int, int]:
    info = path.stat()
    return oct(info.st_mode & 0o7777), info.st_uid, info.st_gid


@pytest.fixture(scope="module")
def installed():
    """A fresh root with the kiosk installed once; its first run's output."""
    # Not under pytest's own folder (private to root): the kiosk user migrates in here.
    root = Path(tempfile.mkdtemp(prefix="kiosk-root-"))
    root.chmod(0o755)
    try:
        fresh_debian(root)
        yield root, install(root, "--screen", "vault-1")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_the_installer_sets_up_a_fresh_box(installed):
    root, said = installed
    user = account(root, "passwd", "kiosk")
    uid, gid = int(user[2]), int(user[3])
    assert user[5:] == ["/var/lib/kiosk", "/usr/sbin/nologin"] and 100 <= uid < 1000
    assert int(account(root, "group", "kiosk")[2]) == gid
    assert account(root, "shadow", "kiosk")[1] == "!"  # no password: no one logs in as it
    assert account(root, "gshadow", "kiosk")

    assert owned(root / "opt/kiosk") == ("0o755", 0, 0)
    assert owned(root / "etc/kiosk") == ("0o750", 0, gid)
    assert owned(root / "var/lib/kiosk") == ("0o750", uid, gid)
    assert owned(root / "var/lib/kiosk/backups") == ("0o750", uid, gid)

    # The settings: the example's, with secrets of its own, readable by the kiosk user only.
    toml = root / "etc/kiosk/kiosk.toml"
    assert owned(toml) == ("0o640", 0, gid)
    settings = tomllib.loads(toml.read_text())
    example = tomllib.loads((DEPLOY / "kiosk.toml.example").read_text())
    secrets = {k for k, v in example.items() if str(v).startswith("generate with:")}
    assert "secret_key" in secrets
    for key in secrets:
        assert len(settings[key]) == 64 and int(settings[key], 16) >= 0
    assert {k: v for k, v in settings.items() if k not in secrets} == \
        {k: v for k, v in example.items() if k not in secrets}
    assert (root / "etc/kiosk/screen.env").read_text().splitlines()[-1] == "KIOSK_SCREEN=vault-1"

    # The units, enabled for boot; every one that runs the kiosk reads /etc/kiosk/kiosk.toml.
    system = root / "etc/systemd/system"
    for unit in UNITS:
        assert (system / unit).read_bytes() == (DEPLOY / unit).read_bytes()
        assert owned(system / unit) == ("0o644", 0, 0)
        if "/opt/kiosk/venv/bin/kiosk" in (system / unit).read_text():
            assert "Environment=KIOSK_SETTINGS=/etc/kiosk/kiosk.toml" in \
                (system / unit).read_text()
    links = {str(p.relative_to(system)): os.readlink(p) for p in system.glob("*/*")}
    assert links == {
        "multi-user.target.wants/kiosk-app.service": "/etc/systemd/system/kiosk-app.service",
        "multi-user.target.wants/kiosk-sync.service": "/etc/systemd/system/kiosk-sync.service",
        "timers.target.wants/kiosk-backup.timer": "/etc/systemd/system/kiosk-backup.timer",
        "graphical.target.wants/kiosk-browser@tty1.service":
            "/etc/systemd/system/kiosk-browser@.service"}
    default = system / "default.target"
    target = os.readlink(default if default.is_symlink() else
                         root / "usr/lib/systemd/system/default.target")
    assert target.endswith("graphical.target")

    # Scanners, scales (the four USB-serial makers) and printers for the kiosk group.
    rules = (root / "etc/udev/rules.d/99-kiosk-devices.rules").read_text()
    assert rules == (DEPLOY / "99-kiosk-devices.rules").read_text()
    for vendor in ("0403", "067b", "10c4", "1a86", "0a5f", "04b8", "0c2e"):
        [line] = [r for r in rules.splitlines() if f'"{vendor}"' in r]
        assert 'GROUP="kiosk"' in line and 'MODE="0660"' in line
    # Chromium's policy lets the screen open the kiosk's page and nothing else.
    policy = json.loads((root / "etc/chromium/policies/managed/kiosk.json").read_text())
    assert policy["URLBlocklist"] == ["*"]
    assert "http://127.0.0.1:8080" in policy["URLAllowlist"]
    assert "http://127.0.0.1:8080/?station=" in (system / "kiosk-browser@.service").read_text()

    # A working kiosk in its venv, and a database migrated by the kiosk user.
    kiosk = root / "opt/kiosk/venv/bin/kiosk"
    helped = subprocess.run([kiosk, "--help"], capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0 and "usage: kiosk" in helped.stdout
    database = root / "var/lib/kiosk/kiosk.db"
    assert owned(database)[1:] == (uid, gid)
    with closing(sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)) as conn:
        applied = [v for (v,) in conn.execute("SELECT version FROM schema_migration")]
    migrations = sorted(int(p.name[:4]) for p in (ROOT / "kiosk/migrations").glob("[0-9]*.py"))
    assert applied == migrations
    checked = subprocess.run(
        ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", kiosk,
         "--database", f"sqlite:///{database}", "verify"], capture_output=True, text=True,
        timeout=60)
    assert checked.returncode == 0 and checked.stdout.startswith("OK"), checked.stderr
    assert os.access(root / "usr/local/bin/kiosk", os.X_OK)

    # What is left for a person, by name.
    left = said.split("Left for you to do:")[1]
    for words in ("metrc_vendor_key, metrc_user_key", "license", "label_printer",
                  "sudo kiosk stations add --name vault-1 --kind vault", "sudo kiosk users add",
                  "systemctl start kiosk-app kiosk-sync kiosk-backup.timer kiosk-browser@tty1"):
        assert words in left


def test_a_second_run_changes_nothing_and_says_so(installed):
    root, first = installed
    assert "change(s) made" in first
    before = snapshot(root)
    assert len(before) > 1000  # the venv, the unit tree, the packages' files: all watched
    again = install(root)
    assert "Nothing changed: this PC already has the kiosk as this script installs it." in again
    assert "unchanged  /etc/kiosk/screen.env (KIOSK_SCREEN=vault-1)" in again
    after = snapshot(root)
    assert {p: v for p, v in after.items() if before.get(p) != v} == {}
    assert before.keys() == after.keys()


def test_every_unit_passes_systemd_analyze_verify(installed):
    root, _ = installed
    for unit in UNITS:
        name = unit.replace("@.", "@tty1.")
        verified = subprocess.run(["systemd-analyze", "verify", f"--root={root}", name],
                                  capture_output=True, text=True, timeout=60)
        # verify also reports a bad line with success; any word from it is a failure here.
        assert (verified.returncode, verified.stdout + verified.stderr) == (0, ""), name


def test_systemd_analyze_verify_is_not_blind(installed):
    """A unit with a mistyped setting or a program the box does not have fails the check."""
    root, _ = installed
    system = root / "etc/systemd/system"
    broken = system / "kiosk-broken.service"
    broken.write_text((DEPLOY / "kiosk-app.service").read_text()
                      .replace("Restart=always", "Restart=alwys")
                      .replace("/opt/kiosk/venv/bin/kiosk serve", "/opt/kiosk/venv/bin/kiosq"))
    try:
        verified = subprocess.run(["systemd-analyze", "verify", f"--root={root}",
                                   broken.name], capture_output=True, text=True, timeout=60)
    finally:
        broken.unlink()
    assert "Failed to parse service restart specifier" in verified.stderr
    assert "kiosq is not executable" in verified.stderr
