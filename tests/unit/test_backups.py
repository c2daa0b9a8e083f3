"""``kiosk backup`` into a folder (as the nightly timer runs it) and ``kiosk db upgrade`` on a
database that needs nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import time


def kiosk(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kiosk.cli", "--database", url, *args],
                          capture_output=True, text=True, timeout=120)


def test_backups_into_a_folder_are_dated_and_the_oldest_go(tmp_path):
    url = f"sqlite:///{tmp_path / 'kiosk.db'}"
    assert kiosk(url, "db", "upgrade").returncode == 0
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "notes.txt").write_text("not a backup: never removed")
    written = []
    for _ in range(3):
        made = kiosk(url, "backup", str(folder), "--keep", "2")
        assert made.returncode == 0, made.stderr
        written.append(made.stdout.split("Backup written to ")[1].split(":")[0])
        time.sleep(1.1)  # a backup's name is its second on the store's clock
    assert all(os.path.basename(w).startswith("kiosk-") for w in written)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [os.path.basename(w) for w in written[1:]] + ["notes.txt"])
    again = kiosk(url, "backup", written[-1])
    assert again.returncode == 1 and "already exists" in again.stderr


def test_an_upgrade_with_nothing_to_do_leaves_the_folder_untouched(tmp_path):
    url = f"sqlite:///{tmp_path / 'kiosk.db'}"
    assert kiosk(url, "db", "upgrade").stdout.startswith("Applied: ")

    def folder():
        return sorted((p.name, p.stat().st_mtime_ns) for p in tmp_path.iterdir()), \
            tmp_path.stat().st_mtime_ns

    before = folder()
    again = kiosk(url, "db", "upgrade")
    assert again.stdout.strip() == "The database is up to date."
    assert folder() == before
