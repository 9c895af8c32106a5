"""PostgreSQL sessions that cannot hang (bank_etl/config.py's connection defaults, load_pg): a
server that never answers, a lock another session keeps, a statement or transaction that never
ends are each cut by a timeout every connection has unless its URL says otherwise."""

from __future__ import annotations

import datetime as dt
import socket
import threading

import psycopg
import pytest

from bank_etl import load_pg
from bank_etl.config import CONNECTION_DEFAULTS, parse_pg_url

DEAD_RUN = "20261001T000000Z-0dead0ff"


def finishes(step, within: float = 180):
    """Runs `step` in a thread; returns its result or raises its error. A step still running
    after `within` seconds hangs, which fails the test."""
    outcome: dict = {}

    def run():
        try:
            outcome["result"] = step()
        except BaseException as error:
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(within)
    assert not thread.is_alive(), "hung"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def test_connecting_to_a_server_that_accepts_and_never_answers_gives_up():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        silent = parse_pg_url(f"postgresql://bank_etl@127.0.0.1:{port}/bank?sslmode=require")
        with pytest.raises(psycopg.OperationalError, match="timeout"):
            # Left to itself psycopg waits 130 s; a connection that waits that long has hung.
            finishes(lambda: load_pg.connect(silent), within=60)


def test_every_session_has_keepalives_and_statement_lock_and_idle_timeouts_unless_the_url_says_otherwise(pg_url):
    with load_pg.connect(parse_pg_url(pg_url)) as conn:
        settings = {name: conn.execute(f"SHOW {name}").fetchone()[0]
                    for name in ("statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout")}
        assert settings == {"statement_timeout": "30min", "lock_timeout": "1min",
                            "idle_in_transaction_session_timeout": "10min"}
        parameters = conn.info.get_parameters()
        assert {k: parameters.get(k) for k in CONNECTION_DEFAULTS} == CONNECTION_DEFAULTS
    own = pg_url + "&connect_timeout=3&keepalives_idle=5&options=-c%20statement_timeout%3D5s"
    with load_pg.connect(parse_pg_url(own)) as conn:
        assert conn.execute("SHOW statement_timeout").fetchone()[0] == "5s"
        assert conn.execute("SHOW lock_timeout").fetchone()[0] == "1min"
        assert (conn.info.get_parameters()["connect_timeout"], conn.info.get_parameters()["keepalives_idle"]) == ("3", "5")


def test_a_statement_that_never_ends_is_cancelled(pg_url):
    with load_pg.connect(parse_pg_url(pg_url + "&options=-c%20statement_timeout%3D1s")) as conn:
        with pytest.raises(psycopg.errors.QueryCanceled, match="statement timeout"):
            finishes(lambda: conn.execute("SELECT pg_sleep(3600)"))


def test_clearing_up_an_abandoned_run_whose_table_another_session_holds_leaves_it_for_later(pg, etl_url, schema):
    settings = parse_pg_url(etl_url)
    tables = load_pg.LoadTables(schema, load_pg.run_tag(DEAD_RUN), [(2022, 3)])
    with load_pg.connect(settings) as conn:
        load_pg.record_run(conn, schema, {"run_id": DEAD_RUN, "scope": "all", "status": "running",
                                          "started_at": dt.datetime.now(dt.timezone.utc), "input_uri": "x.csv"})
        load_pg.create_load_tables(conn, tables)
    reader = psycopg.connect(**settings.connect_kwargs())  # a transaction that keeps reading the table
    reader.execute(f'SELECT count(*) FROM "{schema}".{tables.quarantine}')
    conn = load_pg.connect(settings)
    try:
        assert finishes(lambda: load_pg.recover_abandoned_runs(conn, schema, "the-next-run")) == []
    finally:
        reader.close()  # first: a recovery still waiting for the lock then ends, and frees its session
        conn.close()
    assert pg.execute(f'SELECT status FROM "{schema}".etl_runs').fetchone()[0] == "running"
    with load_pg.connect(settings) as conn:
        assert load_pg.recover_abandoned_runs(conn, schema, "a-later-run") == [DEAD_RUN]


def test_staging_tables_load_with_autovacuum_off_and_get_it_back_when_swapped_in(pg, etl_url, schema):
    """Autovacuum starts on a table that has just taken millions of rows, and a lock request it
    blocks (the swap's DETACH) waits until the deadlock check cancels it, after deadlock_timeout
    (PostgreSQL's proc.c, ProcSleep): measured at 100 M rows, 1 s per quarter inside the swap."""
    tables = load_pg.LoadTables(schema, load_pg.run_tag(DEAD_RUN), [(2022, 3)], "ab" * 32)
    options = ("SELECT c.relname, coalesce(array_to_string(c.reloptions, ','), '') FROM pg_class c JOIN pg_namespace n "
               "ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind = 'r' AND c.relname = ANY(%s)")
    with load_pg.connect(parse_pg_url(etl_url)) as conn:
        load_pg.create_load_tables(conn, tables)
        staged = dict(pg.execute(options, (schema, tables.all())).fetchall())
        with conn.transaction():
            load_pg.swap_in(conn, tables, {})
    assert set(staged) == {tables.staged(t, 2022, 3) for t in tables.quarter_tables} | {tables.quarantine, tables.ledger}
    assert {name for name, value in staged.items() if "autovacuum_enabled=false" in value} == set(staged) - {tables.ledger}
    swapped = dict(pg.execute(options, (schema, ["transactions_2022_q3", "quarterly_features_2022_q3"])).fetchall())
    assert swapped == {"transactions_2022_q3": "", "quarterly_features_2022_q3": ""}
