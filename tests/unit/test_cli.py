"""The `kiosk` command as an operator uses it."""

import sqlite3
import subprocess
import sys

import pytest

from kiosk import cli, db, demo
from kiosk.models import AuditEntry


def run(*args, env=None):
    import os

    full = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args], capture_output=True,
                          text=True, env=full, timeout=120)


def test_workflows_show_prints_a_table_a_manager_can_check():
    result = run("workflows", "show", "vault_entry")
    assert result.returncode == 0
    assert "| # | Step | Kind |" in result.stdout
    assert "| 2 | enter | sign_off |" in result.stdout
    assert "performed by" in result.stdout and "witnessed by" in result.stdout
    unknown = run("workflows", "show", "nope")
    assert unknown.returncode == 2 and "Known: vault_entry" in unknown.stderr


def test_a_bad_setting_stops_with_one_clear_line(tmp_path):
    result = run("db", "upgrade", env={"KIOSK_LABEL_PRINTER": "lp0",
                                       "KIOSK_DATABASE": f"sqlite:///{tmp_path}/k.db"})
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "KIOSK_LABEL_PRINTER" in result.stderr and "printer address" in result.stderr


def test_upgrade_verify_and_backup(tmp_path, capsys):
    url = f"sqlite:///{tmp_path}/k.db"
    assert cli.main(["--database", url, "db", "upgrade"]) == 0
    assert "Applied: 0001_foundation" in capsys.readouterr().out
    assert cli.main(["--database", url, "db", "upgrade"]) == 0
    assert "up to date" in capsys.readouterr().out
    with db.connection():
        demo.build(packages=40)
    assert cli.main(["--database", url, "verify"]) == 0
    assert capsys.readouterr().out.startswith("OK")
    target = tmp_path / "backup.db"
    assert cli.main(["--database", url, "backup", str(target)]) == 0
    assert "integrity ok" in capsys.readouterr().out
    assert sqlite3.connect(target).execute("select count(*) from package").fetchone()[0] == 40
    # Tamper with the audit chain behind the kiosk's back: verify names it and fails.
    with db.connection():
        AuditEntry.update(action="nothing to see").where(AuditEntry.seq == 1).execute()
    assert cli.main(["--database", url, "verify"]) == 1
    assert "Audit entry 1" in capsys.readouterr().out


def test_users_add_list_deactivate(empty_database, capsys):
    url = empty_database
    cli.main(["--database", url, "db", "upgrade"])
    assert cli.main(["--database", url, "users", "add", "--name", "Zoe", "--badge", "3001",
                     "--pin", "4321", "--roles", "vault,runner"]) == 0
    assert cli.main(["--database", url, "users", "add", "--name", "X", "--badge", "3002",
                     "--pin", "4321", "--roles", "boss"]) == 2
    assert cli.main(["--database", url, "users", "deactivate", "--badge", "3001"]) == 0
    capsys.readouterr()
    cli.main(["--database", url, "users", "list"])
    out = capsys.readouterr().out
    assert "Zoe" in out and "inactive" in out and "X " not in out


def test_users_add_refuses_a_badge_an_active_person_holds(empty_database, capsys):
    url = empty_database
    cli.main(["--database", url, "db", "upgrade"])
    add = ["--database", url, "users", "add", "--badge", "3001", "--pin", "4321", "--roles",
           "runner"]
    assert cli.main([*add, "--name", "Zoe"]) == 0
    assert cli.main([*add, "--name", "Yan"]) == 2
    assert "Badge 3001 already belongs to Zoe" in capsys.readouterr().err
    cli.main(["--database", url, "users", "deactivate", "--badge", "3001"])
    assert cli.main([*add, "--name", "Yan"]) == 0  # a deactivated person's number is free
    capsys.readouterr()
    cli.main(["--database", url, "users", "list"])
    out = capsys.readouterr().out
    assert "Zoe" in out and "Yan" in out and "inactive" in out


@pytest.mark.parametrize("key", ["vault_entry", "move_package", "visitor"])
def test_every_workflow_can_be_shown(key):
    assert run("workflows", "show", key).returncode == 0


def test_stations_add_and_list(empty_database, capsys):
    url = empty_database
    cli.main(["--database", url, "db", "upgrade"])
    assert cli.main(["--database", url, "stations", "add", "--name", "vault-2",
                     "--kind", "vault"]) == 0
    assert "?station=vault-2" in capsys.readouterr().out
    assert cli.main(["--database", url, "stations", "add"]) == 2
    cli.main(["--database", url, "stations", "list"])
    assert "vault-2" in capsys.readouterr().out
