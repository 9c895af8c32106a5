"""quarterly_roles.py: the rules of a quarterly job's roles, which the bank ETL's migrate task and
quarterly_provision.py share; standalone, as the package uploads it beside a team's own code."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import quarterly_roles
from quarterly_roles import RoleConflictError, RoleState, role_changes

SPARK_DIR = Path(__file__).resolve().parent.parent
PLATFORM_FILES = ("deployment_guard.py", "quarterly_provision.py", "quarterly_roles.py")


def state(attributes: dict[str, bool] | None = None, member_of=()) -> RoleState:
    base = {"rolsuper": False, "rolreplication": False, "rolbypassrls": False, "rolcreatedb": False,
            "rolcreaterole": False, "rolcanlogin": True, "rolinherit": True}
    return RoleState("bank_etl", {**base, **(attributes or {})}, frozenset(member_of))


def test_an_existing_role_loses_only_what_the_administrator_may_take_away_and_the_rest_is_refused():
    assert role_changes(state(), login=True) == []
    assert role_changes(state({"rolcreatedb": True, "rolcreaterole": True, "rolcanlogin": False}),
                        login=True) == ["NOCREATEDB", "NOCREATEROLE", "LOGIN"]
    assert role_changes(state({"rolinherit": False}), login=True, member_of=frozenset({"bank_reader"})) == ["INHERIT"]
    for attribute, keyword in (("rolsuper", "SUPERUSER"), ("rolreplication", "REPLICATION"), ("rolbypassrls", "BYPASSRLS")):
        with pytest.raises(RoleConflictError, match=f"{keyword}, which only a superuser can remove"):
            role_changes(state({attribute: True}), login=True)
    with pytest.raises(RoleConflictError, match="membership in azure_pg_admin"):
        role_changes(state(member_of={"azure_pg_admin"}), login=True)
    with pytest.raises(RoleConflictError, match="membership in pg_monitor"):
        role_changes(state(member_of={"bank_reader", "pg_monitor"}), login=True, member_of=frozenset({"bank_reader"}))


def test_every_failure_it_raises_is_permanent_with_exit_code_3():
    for error in (quarterly_roles.RoleConflictError, quarterly_roles.AdministratorPrivilegeError,
                  quarterly_roles.RoleConfigError):
        assert issubclass(error, quarterly_roles.RoleSetupError) and error.exit_code == 3


def test_it_needs_nothing_but_the_standard_library_and_psycopg():
    imported = {line.split()[1].split(".")[0] for line in open(quarterly_roles.__file__, encoding="utf-8")
                if line.startswith(("import ", "from "))}
    assert imported <= {"__future__", "logging", "dataclasses", "psycopg"}


def test_a_teams_job_folder_with_only_the_packages_three_files_runs_the_provisioning_task(tmp_path):
    """A team's folder holds its own code and the package's deployment_guard.py,
    quarterly_provision.py and quarterly_roles.py: no bank_etl."""
    for name in PLATFORM_FILES:
        shutil.copy(SPARK_DIR / name, tmp_path / name)
    (tmp_path / "run_cards.py").write_text("print('cards')\n")
    check = "import sys, quarterly_provision, quarterly_roles; print(sorted(m for m in sys.modules if m.startswith('bank_etl')))"
    completed = subprocess.run([sys.executable, "-c", check], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert (completed.returncode, completed.stdout) == (0, "[]\n"), completed.stderr
    helped = subprocess.run([sys.executable, str(tmp_path / "quarterly_provision.py"), "--help"], cwd="/",
                            capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0 and "--owner-login" in helped.stdout
