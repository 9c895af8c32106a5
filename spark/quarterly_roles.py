"""A quarterly job's PostgreSQL roles and schema, set up by the server administrator: the rules every
pipeline's database follows, the bank ETL's migrate task and the package's quarterly_provision.py alike.

- The loader (for the bank ETL, `bank_etl`; for a team's job, its owner login) is a LOGIN with no
  other attribute; it may use and create in the schema and owns every table in it.
- The reader role is NOLOGIN, with USAGE on the schema and SELECT on its tables, also on the tables
  the loader creates later (default privileges FOR ROLE the loader).
- The reader login, when there is one, is a LOGIN member of the reader role and of nothing else.
- A role that exists already is brought back to that contract where the administrator may do so
  (it takes away CREATEDB and CREATEROLE, and gives LOGIN or INHERIT where they are missing), and
  refused where it may not: SUPERUSER, REPLICATION, BYPASSRLS, or a membership the contract does
  not give. A job never runs with a role that has more rights than its contract.
- The administrator need not be a superuser: on Azure it is a CREATEROLE, CREATEDB login in
  azure_pg_admin. It owns the schema, and becomes a member of the loader to give it tables and set
  its default privileges. Passwords reach the server as verifiers only (computed here by libpq).

Every failure here is permanent (exit code 3): the same roles and rights fail again on a retry.
Standard library and psycopg only: the package uploads this file beside every job's code, with
deployment_guard.py, and the bank ETL's package imports it from there.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from psycopg import sql

log = logging.getLogger("quarterly_roles")

EXIT_CODE = 3


class RoleSetupError(Exception):
    """Roles or the schema cannot be set up as their contract says; a retry does not help (exit 3)."""

    exit_code = EXIT_CODE


class RoleConflictError(RoleSetupError):
    """A role exists with rights its contract does not allow, which the administrator (not a
    superuser, as on Azure) cannot take away."""


class AdministratorPrivilegeError(RoleSetupError):
    """The administrator lacks a privilege it needs (to create the schema, or to manage a role
    someone else created)."""


class RoleConfigError(RoleSetupError, ValueError):
    """The roles asked for cannot be: one name for two roles, the administrator's own name, a login
    without a password."""


@dataclass(frozen=True)
class Roles:
    """A job's roles: `loader` loads and owns the tables; `reader` may only read; `reader_login`,
    when given, is the reading application's login: a member of `reader` and nothing else.
    A password left None is not set (the role keeps the one it has)."""

    loader: str
    reader: str
    loader_password: str | None = field(default=None, repr=False)
    reader_login: str | None = None
    reader_password: str | None = field(default=None, repr=False)


# Attributes the contract forbids on a job's roles, and whether the administrator may remove them.
# A CREATEROLE administrator that is not a superuser (Azure's) may not even name SUPERUSER,
# REPLICATION or BYPASSRLS in ALTER ROLE in PostgreSQL 15 ("must be superuser to ..."), and in 16
# only a role that has the attribute itself may change it; it may take away CREATEDB and CREATEROLE.
FORBIDDEN_ATTRIBUTES = {"rolsuper": ("SUPERUSER", None), "rolreplication": ("REPLICATION", None),
                        "rolbypassrls": ("BYPASSRLS", None), "rolcreatedb": ("CREATEDB", "NOCREATEDB"),
                        "rolcreaterole": ("CREATEROLE", "NOCREATEROLE")}
ROLE_COLUMNS = ("rolsuper", "rolreplication", "rolbypassrls", "rolcreatedb", "rolcreaterole", "rolcanlogin", "rolinherit")


@dataclass(frozen=True)
class RoleState:
    """What pg_roles and pg_auth_members say about an existing role."""

    name: str
    attributes: dict[str, bool]  # pg_roles columns: rolsuper, rolcanlogin, ...
    member_of: frozenset[str]


def role_changes(state: RoleState, *, login: bool, member_of: frozenset[str] = frozenset()) -> list[str]:
    """The ALTER ROLE options that bring an existing role to the contract: no other attributes than
    `login` (and INHERIT for a login that reads through its membership), members only of `member_of`.
    Raises RoleConflictError for what the administrator may not change, rather than carry on."""
    unfixable = [keyword for column, (keyword, fix) in FORBIDDEN_ATTRIBUTES.items()
                 if state.attributes.get(column) and fix is None]
    extra_memberships = sorted(state.member_of - member_of)
    if unfixable or extra_memberships:
        what = []
        if unfixable:
            what.append(f"the attribute(s) {', '.join(unfixable)}, which only a superuser can remove (Azure gives "
                        "nobody superuser)")
        if extra_memberships:
            what.append(f"membership in {', '.join(extra_memberships)} (REVOKE {', '.join(extra_memberships)} "
                        f"FROM {state.name})")
        raise RoleConflictError(f"role {state.name} exists with rights its contract does not allow: {'; and '.join(what)}. "
                                "Remove them, drop the role, or choose another role name; no job runs with a role "
                                "that has more rights than its contract gives it")
    changes = [fix for column, (_, fix) in FORBIDDEN_ATTRIBUTES.items() if state.attributes.get(column) and fix]
    if login and not state.attributes.get("rolcanlogin"):
        changes.append("LOGIN")
    if member_of and not state.attributes.get("rolinherit"):
        changes.append("INHERIT")  # the login reads with its reader role's privileges, without SET ROLE
    return changes


def role_state(cur, name: str) -> RoleState | None:
    """The role's attributes and memberships, or None when there is no such role."""
    cur.execute(sql.SQL("SELECT oid, {} FROM pg_roles WHERE rolname = %s").format(
        sql.SQL(", ").join(map(sql.Identifier, ROLE_COLUMNS))), (name,))
    row = cur.fetchone()
    if row is None:
        return None
    cur.execute("SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid WHERE m.member = %s",
                (row[0],))
    return RoleState(name, dict(zip(ROLE_COLUMNS, row[1:])), frozenset(r[0] for r in cur.fetchall()))


def ensure_role(cur, name: str, *, login: bool, member_of: tuple[str, ...] = ()) -> list[str]:
    """Creates the role, or brings an existing one to the contract (see role_changes). A new role
    has PostgreSQL's defaults: NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT NOREPLICATION NOBYPASSRLS.
    Returns what it changed, one line each (empty when the role was as its contract says)."""
    ident = sql.Identifier(name)
    state = role_state(cur, name)
    done: list[str] = []
    if state is None:
        cur.execute(sql.SQL("CREATE ROLE {} " + ("LOGIN" if login else "NOLOGIN")).format(ident))
        done.append(f"created role {name}")
        missing = member_of
    else:
        changes = role_changes(state, login=login, member_of=frozenset(member_of))
        if changes:
            cur.execute(sql.SQL("ALTER ROLE {} " + " ".join(changes)).format(ident))
            log.warning("role %s had rights beyond its contract: set %s", name, " ".join(changes))
            done.append(f"set {' '.join(changes)} on role {name}")
        missing = tuple(role for role in member_of if role not in state.member_of)
    for role in missing:
        cur.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(role), ident))
        done.append(f"made {name} a member of {role}")
    return done


def set_password(cur, role: str, password: str) -> None:
    """Sends the password as a verifier in the server's password_encryption (computed here by
    libpq), so that the clear text never reaches the server, its logs or pg_stat_activity."""
    cur.execute("SHOW password_encryption")
    algorithm = cur.fetchone()[0]
    verifier = cur.connection.pgconn.encrypt_password(password.encode(), role.encode(), algorithm.encode())
    cur.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(role), sql.Literal(verifier.decode())))


def ensure_roles(cur, roles: Roles) -> list[str]:
    """The loader, the reader role and the reader login as their contracts say, with their passwords;
    the administrator becomes a member of the loader. Returns what changed, one line each."""
    cur.execute("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user")
    admin, admin_is_superuser = cur.fetchone()
    names = {"loader": roles.loader, "reader role": roles.reader}
    if roles.reader_login:
        names["reader login"] = roles.reader_login
    if len(set(names.values())) < len(names) or admin in names.values():
        raise RoleConfigError(f"the job's roles must be distinct roles other than the administrator {admin}: "
                              + ", ".join(f"{k} {v}" for k, v in names.items()))
    if roles.reader_login and not roles.reader_password:
        raise RoleConfigError(f"the reader login {roles.reader_login} needs a password")
    done = ensure_role(cur, roles.loader, login=True)
    done += ensure_role(cur, roles.reader, login=False)
    if roles.loader_password:
        set_password(cur, roles.loader, roles.loader_password)
    if roles.reader_login:
        done += ensure_role(cur, roles.reader_login, login=True, member_of=(roles.reader,))
        set_password(cur, roles.reader_login, roles.reader_password)
    # An administrator that is not a superuser (Azure's) must be a member of a role to give it
    # objects (ALTER TABLE ... OWNER TO), to set its default privileges and to keep working on the
    # tables it owns; CREATEROLE lets it grant itself the role it created.
    if not admin_is_superuser and roles.loader not in role_state(cur, admin).member_of:
        cur.execute(sql.SQL("GRANT {} TO current_user").format(sql.Identifier(roles.loader)))
        done.append(f"made the administrator {admin} a member of {roles.loader}")
    return done


def check_schema_privileges(cur, schema: str) -> bool:
    """Fails clearly, before any DDL, when the administrator could not create or own the schema.
    Returns whether the schema exists."""
    cur.execute("SELECT current_user, current_database(), pg_get_userbyid(d.datdba), "
                "has_database_privilege(current_database(), 'CREATE') FROM pg_database d "
                "WHERE d.datname = current_database()")
    admin, database, database_owner, may_create = cur.fetchone()
    cur.execute("SELECT pg_get_userbyid(nspowner), pg_has_role(current_user, nspowner, 'USAGE') "
                "FROM pg_namespace WHERE nspname = %s", (schema,))
    existing = cur.fetchone()
    if existing is None and not may_create:
        raise AdministratorPrivilegeError(
            f"{admin} may not create schema {schema} in database {database}, which belongs to {database_owner}: "
            "the administrator needs CREATE on the database (on Azure, a database created through the API before "
            "the server had a password administrator belongs to azuresu; recreate it, or GRANT CREATE ON DATABASE "
            f"{database} TO {admin} as its owner)")
    if existing is not None and not existing[1]:
        raise AdministratorPrivilegeError(
            f"schema {schema} belongs to {existing[0]}, and {admin} is neither that role nor a member of it: "
            "the schema's roles must be set up by its owner (the administrator that created it)")
    return existing is not None


def create_schema(cur, schema: str) -> bool:
    """CREATE SCHEMA IF NOT EXISTS, owned by the administrator, after check_schema_privileges.
    Returns whether it created the schema."""
    existed = check_schema_privileges(cur, schema)
    cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
    return not existed


def grant_schema(cur, schema: str, roles: Roles) -> None:
    """The schema's rights: the loader may use and create in it and owns every table in it; the
    reader may use it and read every table, also those the loader creates later; PUBLIC nothing."""
    ident, loader, reader = sql.Identifier(schema), sql.Identifier(roles.loader), sql.Identifier(roles.reader)
    cur.execute(sql.SQL("REVOKE ALL ON SCHEMA {} FROM PUBLIC").format(ident))
    cur.execute(sql.SQL("GRANT USAGE, CREATE ON SCHEMA {} TO {}").format(ident, loader))
    cur.execute("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND pg_get_userbyid(c.relowner) <> %s",
                (schema, roles.loader))
    for (table,) in cur.fetchall():
        cur.execute(sql.SQL("ALTER TABLE {}.{} OWNER TO {}").format(ident, sql.Identifier(table), loader))
    cur.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(ident, reader))
    cur.execute(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(ident, reader))
    # Tables (and partitions) the loader creates later are readable too.
    cur.execute(sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT SELECT ON TABLES TO {}").format(
        loader, ident, reader))
