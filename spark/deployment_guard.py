"""Where a run's credentials may go, fixed by the deploy: the guard every entry file calls before it
reads a secret.

A job's operators may start it with new parameters, and Databricks replaces a task's whole parameter
list with them ("run now" with `python_params`). So the deploy writes what it decided into
`deployment.json` beside the job's code, in a folder only workspace admins can write: the
PostgreSQL host, port, database and TLS mode (`sslmode`), the lake account and root, the landing folder, the secret scope
and the secret keys each entry file may read. `check_run` compares a run's parameters with it and
refuses the run, before any secret is read, when any of them points elsewhere.

Locally (no `DATABRICKS_RUNTIME_VERSION` in the environment) a missing file means no guard: local
runs read no secret scope. On Databricks a missing or unreadable file refuses the run.

The package's own entry files call `check_run` with what they know of their parameters. A task
whose entry file is a team's own runs through a launcher the package generates beside it
(`_guarded_<task>.py`, calling `run_task`): its parameters must be the deployed ones, apart from the
options the job definition lets operators set, or the run is refused before the entry file starts.
So the guard covers the jobs teams bring even when their code never calls it.

Standard library only: the package uploads this file beside every job's code, the bank ETL's and
the jobs teams bring, and calls it from its own provisioning task.
"""

from __future__ import annotations

import json
import os
import re
import runpy
import sys
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import parse_qs, urlsplit

DEPLOYMENT_FILE = "deployment.json"
EXIT_CODE = 3
_ABFSS = re.compile(r"^abfss://([^@/]+)@([^./]+)\.dfs\.core\.windows\.net/(.*)$")


class DeploymentMismatch(Exception):
    """A run's parameters point somewhere the deploy did not decide; exit code 3 (permanent)."""

    exit_code = EXIT_CODE


def on_databricks() -> bool:
    return "DATABRICKS_RUNTIME_VERSION" in os.environ


def load_deployment(entry_file: str) -> dict | None:
    """The deploy's `deployment.json` beside `entry_file`, or None when there is none."""
    path = os.path.join(os.path.dirname(os.path.abspath(entry_file)), DEPLOYMENT_FILE)
    if not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            deployment = json.load(handle)
    except (OSError, ValueError) as error:
        raise DeploymentMismatch(f"{path} cannot be read ({error}); redeploy the job") from error
    if not isinstance(deployment, dict) or deployment.get("schema_version") != 1:
        raise DeploymentMismatch(f"{path} is not a deployment.json of schema_version 1; redeploy the job")
    return deployment


# Query parameters libpq obeys over the URL's host, port and path: a run may not name them.
_TARGET_PARAMETERS = ("host", "hostaddr", "port", "dbname", "service", "servicefile")


def _postgres_target(url: str) -> tuple[str, int, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres") or not parts.hostname:
        raise DeploymentMismatch(f"--pg-url {url!r} is not a postgresql:// URL with a host")
    if "," in parts.netloc:
        raise DeploymentMismatch("--pg-url names several hosts; a run connects to the deployed one only")
    return parts.hostname.lower(), parts.port or 5432, parts.path.lstrip("/")


def _postgres_query_problems(url: str, sslmode: str | None) -> list[str]:
    """What libpq would read from the query instead of the URL's host part, and a weaker TLS mode than the deploy's."""
    query = parse_qs(urlsplit(url).query, keep_blank_values=True)
    found = [f"--pg-url sets {name} in its query, which libpq obeys over the host part" for name in _TARGET_PARAMETERS if name in query]
    given = query.get("sslmode", ["(unset)"])[-1]
    if sslmode is not None and given != sslmode:
        found.append(f"--pg-url has sslmode={given}; the deploy decided sslmode={sslmode}")
    return found


def _lake_target(uri: str) -> tuple[str, str, str] | None:
    match = _ABFSS.match(uri)
    return (match.group(1), match.group(2).lower(), match.group(3)) if match else None


def mismatches(
    deployment: dict,
    entry_name: str,
    *,
    pg_url: str | None = None,
    lake: str | None = None,
    input_uri: str | None = None,
    secret_scope: str | None = None,
    secret_keys: Iterable[str] = (),
) -> list[str]:
    """Each way the run's parameters differ from the deployment, one line each (empty when none)."""
    found: list[str] = []
    postgres = deployment.get("postgres")
    if pg_url is not None:
        if not isinstance(postgres, dict):
            found.append("--pg-url is given, but the deploy named no database for this job")
        else:
            found.extend(_postgres_query_problems(pg_url, postgres.get("sslmode")))
            host, port, database = _postgres_target(pg_url)
            wanted = (str(postgres.get("host", "")).lower(), int(postgres.get("port", 5432)), str(postgres.get("database", "")))
            if (host, port, database) != wanted:
                found.append(f"--pg-url names {host}:{port}/{database}; the deploy decided {wanted[0]}:{wanted[1]}/{wanted[2]}")
    deployed_lake = deployment.get("lake") or {}
    if lake is not None and lake != deployed_lake.get("root"):
        found.append(f"--lake is {lake}; the deploy decided {deployed_lake.get('root')}")
    if input_uri is not None:
        deployed_input = str(deployment.get("input", ""))
        folder = deployed_input if deployed_input.endswith("/") else deployed_input + "/"
        if input_uri != deployed_input and not input_uri.startswith(folder):
            found.append(f"--input is {input_uri}; the deploy decided {deployed_input} (a file under it is allowed)")
        else:
            target = _lake_target(input_uri)
            if target is None or ".." in target[2].split("/"):
                found.append(f"--input {input_uri} is not an abfss:// path under {deployed_input}")
    if secret_scope is not None and secret_scope != deployment.get("secret_scope"):
        found.append(f"--secret-scope is {secret_scope}; the deploy decided {deployment.get('secret_scope')}")
    allowed = set((deployment.get("secret_keys") or {}).get(entry_name, []))
    for key in secret_keys:
        if key not in allowed:
            found.append(f"secret key {key} is not one {entry_name} may read ({', '.join(sorted(allowed)) or 'none'})")
    return found


def check_run(
    entry_file: str,
    *,
    pg_url: str | None = None,
    lake: str | None = None,
    input_uri: str | None = None,
    secret_scope: str | None = None,
    secret_keys: Iterable[str] = (),
) -> dict | None:
    """Refuses (DeploymentMismatch) a run whose parameters differ from the deploy's deployment.json.

    Call it first, before any secret is read. Returns the deployment (None locally, without one).
    """
    keys = [key for key in secret_keys if key]
    deployment = load_deployment(entry_file)
    if deployment is None:
        if on_databricks() and (keys or secret_scope is not None):
            raise DeploymentMismatch(
                f"{DEPLOYMENT_FILE} is missing beside {os.path.basename(entry_file)}: the deploy uploads it, and a run reads no secret without it"
            )
        return None
    found = mismatches(
        deployment,
        os.path.basename(entry_file),
        pg_url=pg_url,
        lake=lake,
        input_uri=input_uri,
        secret_scope=secret_scope,
        secret_keys=keys,
    )
    if found:
        raise DeploymentMismatch("refused before reading any secret: " + "; ".join(found))
    return deployment


def _without_operator_options(parameters: Sequence[str], options: Mapping[str, str]) -> list[str]:
    """The parameters without the options operators may set: a "flag" alone, a "value" option with
    its value (`--name value` or `--name=value`)."""
    kept: list[str] = []
    index = 0
    while index < len(parameters):
        name, equals, _ = parameters[index].partition("=")
        kind = options.get(name) if name.startswith("--") else None
        if kind == "value":
            index += 1 if equals else 2
        elif kind == "flag" and not equals:
            index += 1
        else:
            kept.append(parameters[index])
            index += 1
    return kept


def _shown(value: str | None) -> str:
    return "(none)" if value is None else repr(value if len(value) <= 80 else value[:77] + "...")


# A dynamic value reference (`{{job.start_time.iso_date}}`), which Databricks resolves before the run starts.
_DYNAMIC_REFERENCE = re.compile(r"\{\{[^{}]*\}\}")


def _same_parameter(deployed: str, given: str) -> bool:
    """The given parameter is the deployed one, each dynamic value reference in it resolved to anything."""
    if "{{" not in deployed:
        return deployed == given
    pattern = ".*".join(re.escape(part) for part in _DYNAMIC_REFERENCE.split(deployed))
    return re.fullmatch(pattern, given, re.DOTALL) is not None


def parameter_mismatch(task_key: str, deployed: Sequence[str], given: Sequence[str], options: Mapping[str, str]) -> str | None:
    """Why a run's parameters are not the deployed ones (apart from the operators' options), or None."""
    wanted, got = _without_operator_options(deployed, options), _without_operator_options(given, options)
    if len(wanted) == len(got) and all(_same_parameter(a, b) for a, b in zip(wanted, got)):
        return None
    at = next((index for index, (a, b) in enumerate(zip(wanted, got)) if not _same_parameter(a, b)), min(len(wanted), len(got)))
    settable = ", ".join(sorted(options)) or "none"
    return (f"task {task_key}: parameter {at + 1} is {_shown(got[at] if at < len(got) else None)}, the deploy decided "
            f"{_shown(wanted[at] if at < len(wanted) else None)}; operators may set only these options: {settable}")


def run_task(launcher_file: str, task_key: str) -> None:
    """Runs a task's entry file when the run's parameters are the deployed ones; otherwise exits
    with EXIT_CODE before the entry file starts. Called by the launcher the package generates."""
    try:
        deployment = load_deployment(launcher_file)
        if deployment is None:
            raise DeploymentMismatch(f"{DEPLOYMENT_FILE} is missing beside {os.path.basename(launcher_file)}: redeploy the job")
        task = (deployment.get("tasks") or {}).get(task_key)
        if not isinstance(task, dict) or not isinstance(task.get("entry"), str):
            raise DeploymentMismatch(f"task {task_key} is not in {DEPLOYMENT_FILE}: redeploy the job")
        problem = parameter_mismatch(task_key, task.get("parameters") or [], sys.argv[1:], task.get("operator_options") or {})
        if problem is not None:
            raise DeploymentMismatch("refused before the entry file starts: " + problem)
    except DeploymentMismatch as refused:
        print(refused, file=sys.stderr)
        sys.exit(refused.exit_code)
    entry = os.path.join(os.path.dirname(os.path.abspath(launcher_file)), task["entry"])
    # As if Databricks had started the entry file itself: its path in argv[0], its folder first on sys.path.
    sys.argv[0] = entry
    sys.path.insert(0, os.path.dirname(entry))
    runpy.run_path(entry, run_name="__main__")
