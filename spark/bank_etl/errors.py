"""Failure taxonomy: what a retry can fix and what it cannot, and the exit code of each.

The job's first task (run_check.py) has no retries and catches the permanent failures before
anything is written; the later tasks are retried by the job, which only helps transient ones.

| exit code | kind | examples |
|---|---|---|
| 0 | success | |
| 2 | usage | a bad argument |
| 3 | permanent | missing input file, missing required column, no rows in scope, schema not migrated, a run whose parameters differ from deployment.json (deployment_guard), a role with more rights than its contract (quarterly_roles) |
| 75 | transient (EX_TEMPFAIL) | lost or refused connection, throttled storage call, timeout |
| 1 | unknown | anything else: logged whole, treated as retryable by the job |
"""

from __future__ import annotations

import logging
import traceback
from enum import Enum

from deployment_guard import DeploymentMismatch
from quarterly_roles import AdministratorPrivilegeError, RoleConflictError, RoleSetupError  # noqa: F401 (bank_etl.errors names them too)

from .config import ConfigError, mask_url

# Failures of the files the package uploads beside every job (standalone, so not PermanentErrors):
# their exit code is 3, and nothing a retry does changes them.
PERMANENT_PLATFORM_ERRORS = (DeploymentMismatch, RoleSetupError)


class Failure(Enum):
    USAGE = 2
    PERMANENT = 3
    TRANSIENT = 75
    UNKNOWN = 1

    @property
    def exit_code(self) -> int:
        return self.value

    @property
    def retryable(self) -> bool:
        return self in (Failure.TRANSIENT, Failure.UNKNOWN)


class PermanentError(RuntimeError):
    """A failure the same input and code will hit again: do not retry."""


class TransientError(RuntimeError):
    """A failure of the environment (network, throttling) that a later attempt may not hit."""


class InputError(PermanentError, ValueError):
    """The landing file cannot be used (missing, unsupported, or missing a required column)."""


class InputChangedError(InputError):
    """The landing file is not the version the check task resolved (or changed while it was read):
    the load refuses it rather than load another file than the one checked."""


class EmptyScopeError(PermanentError):
    """The input has no valid row in the selected scope; replacing the quarter would erase it."""


class SchemaNotReadyError(PermanentError):
    """The PostgreSQL schema has not been migrated to the version this code needs."""


class LakeLayoutError(PermanentError):
    """The lake holds data at a place this code no longer uses, or a step would delete an area root."""


# Lower-case fragments of messages from Azure storage, the JVM and libpq that mean "try again".
TRANSIENT_MARKERS = (
    "connection refused", "connection reset", "connection timed out", "server closed the connection",
    "could not connect", "timeout expired", "timed out", "broken pipe", "throttl", "serverbusy",
    "server busy", "too many requests", "status code 429", "statuscode=429", "status code 503",
    "statuscode=503", "service unavailable", "operationtimedout", "internalerror", "temporarily unavailable",
    "too many connections", "the database system is starting up", "the database system is shutting down",
    "terminating connection due to administrator command",
)
PERMANENT_MARKERS = (
    "filenotfoundexception", "path does not exist", "unable_to_infer_schema", "column_not_found",
    "unresolved_column", "permission denied", "authentication failed", "password authentication failed",
    "authorizationpermissionmismatch",
)


def causes(error: BaseException):
    """The error and its chain of causes (explicit `raise ... from` first, then implicit context)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def classify(error: BaseException) -> Failure:
    """Which kind of failure `error` is, judged by its type and then by its whole cause chain."""
    chain = list(causes(error))
    for item in chain:
        if isinstance(item, ConfigError):
            return Failure.USAGE
        if isinstance(item, (PermanentError, *PERMANENT_PLATFORM_ERRORS)):
            return Failure.PERMANENT
        if isinstance(item, TransientError):
            return Failure.TRANSIENT
    text = " ".join(f"{type(item).__name__} {item}" for item in chain).lower()
    if any(marker in text for marker in PERMANENT_MARKERS):
        return Failure.PERMANENT
    try:
        import psycopg

        if any(isinstance(item, (psycopg.OperationalError, psycopg.errors.ConnectionTimeout)) for item in chain):
            # libpq raises OperationalError for lost connections; bad credentials were caught above.
            return Failure.TRANSIENT
        if any(isinstance(item, psycopg.errors.SerializationFailure | psycopg.errors.DeadlockDetected
                          | psycopg.errors.LockNotAvailable) for item in chain):
            return Failure.TRANSIENT
    except ImportError:  # pragma: no cover - psycopg is a runtime requirement
        pass
    if any(isinstance(item, (ConnectionError, TimeoutError)) for item in chain):
        return Failure.TRANSIENT
    if any(marker in text for marker in TRANSIENT_MARKERS):
        return Failure.TRANSIENT
    return Failure.UNKNOWN


def describe(error: BaseException, limit: int = 2000) -> str:
    """One line for the run record: the error and each cause's first line, passwords masked."""
    parts = []
    for item in causes(error):
        text = f"{type(item).__name__}: {item}".strip()
        parts.append(text.splitlines()[0] if text else type(item).__name__)
    return mask_url(" <- caused by: ".join(parts))[:limit]


def log_failure(log: logging.Logger, what: str, error: BaseException) -> Failure:
    """Logs the error whole: Python traceback with its causes, and a JVM (Py4J) stack trace when
    there is one, which a first-line summary would lose."""
    kind = classify(error)
    text = "".join(traceback.format_exception(error))
    java = [str(getattr(item, "java_exception", "")) for item in causes(error) if getattr(item, "java_exception", None)]
    log.error("%s failed (%s, exit code %d, %s):\n%s%s", what, kind.name.lower(), kind.exit_code,
              "retryable" if kind.retryable else "not retryable", mask_url(text),
              "".join(f"\nJVM cause:\n{mask_url(j)}" for j in java))
    return kind
