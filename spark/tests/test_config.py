import datetime as dt

import pytest

from bank_etl.config import ConfigError, Quarter, mask_url, parse_args, parse_pg_url, strip_url_credentials
from bank_etl.lake import lake_layout


def test_parses_a_quarter():
    assert Quarter.parse("2022-Q3") == Quarter(2022, 3)


@pytest.mark.parametrize("text", ["2022Q3", "2022-Q5", "22-Q1", "2022-q1x"])
def test_rejects_a_malformed_quarter(text):
    with pytest.raises(ConfigError, match="--quarter"):
        Quarter.parse(text)


@pytest.mark.parametrize(
    "today, expected",
    [(dt.date(2026, 11, 28), Quarter(2026, 3)), (dt.date(2023, 2, 1), Quarter(2022, 4)), (dt.date(2022, 7, 1), Quarter(2022, 2))],
)
def test_defaults_to_the_last_quarter_that_ended_before_today(today, expected):
    assert Quarter.last_ended_before(today) == expected


def test_default_scope_is_the_last_ended_quarter():
    now = dt.datetime(2023, 4, 2, 12, tzinfo=dt.timezone.utc)
    config = parse_args(["--input", "x.csv", "--lake", "lake", "--pg-url", "postgresql://h/db"], now=now)
    assert str(config.scope) == "2023-Q1"


@pytest.mark.parametrize("zone, expected", [("Asia/Kolkata", "2026-Q4"), ("Europe/Berlin", "2026-Q3"),
                                             ("UTC", "2026-Q3"), ("America/New_York", "2026-Q3")])
def test_the_default_quarter_follows_the_schedules_time_zone(zone, expected):
    # 20:45 UTC on 31 December is already 02:15 on 1 January in Kolkata: Q4 has ended there.
    now = dt.datetime(2026, 12, 31, 20, 45, tzinfo=dt.timezone.utc)
    config = parse_args(["--input", "x.csv", "--lake", "lake", "--pg-url", "postgresql://h/db", "--timezone", zone], now=now)
    assert str(config.scope) == expected


def test_rejects_an_unknown_time_zone():
    with pytest.raises(ConfigError, match="--timezone"):
        parse_args(["--input", "x.csv", "--lake", "l", "--pg-url", "postgresql://h/db", "--timezone", "Mars/Olympus"])


def test_parses_the_job_tasks_parameters():
    from bank_etl.config import parse_check_args, parse_migrate_args

    load = parse_args(["--input", "abfss://landing@acct.dfs.core.windows.net/", "--lake",
                       "abfss://{container}@acct.dfs.core.windows.net/", "--catalog", "bank_prod", "--pg-url",
                       "postgresql://pg.example:5432/bank?sslmode=verify-full&sslrootcert=/etc/ssl/certs/ca-certificates.crt",
                       "--schema", "bank", "--secret-scope", "kv", "--pg-user-key", "etl-user", "--pg-password-key",
                       "etl-password", "--timezone", "Europe/London", "--quarter", "2022-Q3"])
    assert (load.catalog, load.timezone, str(load.scope), load.pg.sslmode) == ("bank_prod", "Europe/London", "2022-Q3",
                                                                                "verify-full")
    assert dict(load.pg.params)["sslrootcert"] == "/etc/ssl/certs/ca-certificates.crt"
    check = parse_check_args(["--input", "abfss://landing@acct.dfs.core.windows.net/", "--timezone", "UTC", "--all"])
    assert check.scope.is_all
    migrate = parse_migrate_args(["--pg-url", "postgresql://pg.example:5432/bank?sslmode=verify-full", "--schema", "bank",
                                  "--secret-scope", "kv", "--admin-user-key", "a", "--admin-password-key", "b",
                                  "--etl-role", "bank_etl", "--etl-password-key", "c", "--reader-role", "bank_reader"])
    assert (migrate.etl_role, migrate.reader_role, migrate.etl_password_key) == ("bank_etl", "bank_reader", "c")


def test_all_selects_every_quarter():
    config = parse_args(["--input", "x.csv", "--lake", "lake", "--pg-url", "postgresql://h/db", "--all"])
    assert config.scope.is_all


def test_reads_a_libpq_uri_with_credentials_and_sslmode():
    settings = parse_pg_url("postgresql://etl:s%40cret@db.example:5433/bank?sslmode=require")
    assert (settings.host, settings.port, settings.dbname, settings.user, settings.password) == (
        "db.example", 5433, "bank", "etl", "s@cret")
    assert settings.sslmode == "require"


def test_reads_a_jdbc_url_and_maps_ssl_true_to_sslmode_require():
    settings = parse_pg_url("jdbc:postgresql://db.example:5432/bank?ssl=true&user=etl&password=pw&loginTimeout=5")
    assert (settings.host, settings.user, settings.password, settings.sslmode) == ("db.example", "etl", "pw", "require")
    assert "loginTimeout" not in dict(settings.params)


def test_leaves_credentials_to_the_environment_when_the_url_has_none():
    kwargs = parse_pg_url("jdbc:postgresql://db.example:5432/bank?sslmode=require").connect_kwargs()
    assert "user" not in kwargs and "password" not in kwargs


def test_rejects_a_url_of_another_database():
    with pytest.raises(ConfigError, match="postgresql://"):
        parse_pg_url("mysql://u:p@h/db")


def test_masks_passwords_in_urls():
    assert mask_url("postgresql://etl:topsecret@h:5432/bank") == "postgresql://etl:***@h:5432/bank"
    assert mask_url("jdbc:postgresql://h/bank?user=etl&password=topsecret&ssl=true") == (
        "jdbc:postgresql://h/bank?user=etl&password=***&ssl=true")


def test_masked_settings_never_show_the_password():
    settings = parse_pg_url("postgresql://etl:topsecret@h/bank")
    assert "topsecret" not in settings.masked_url() and "topsecret" not in repr(settings)


def test_records_input_uris_without_sas_tokens():
    assert strip_url_credentials("abfss://landing@acct.dfs.core.windows.net/bank/x.csv?sig=abc") == (
        "abfss://landing@acct.dfs.core.windows.net/bank/x.csv")


def test_maps_a_plain_lake_root_to_areas_under_it():
    layout = lake_layout("/data/lake")
    assert layout.curated == "/data/lake/curated/transactions"
    assert layout.features == "/data/lake/features/quarterly"
    assert layout.quarantine == "/data/lake/quarantine/rows"
    assert layout.export == "/data/lake/features/export"
    assert layout.runs == "/data/lake/_runs"


def test_maps_a_container_template_to_one_container_per_area_with_no_table_at_a_container_root():
    layout = lake_layout("abfss://{container}@stbankprod.dfs.core.windows.net/")
    assert layout.curated == "abfss://curated@stbankprod.dfs.core.windows.net/transactions"
    assert layout.features == "abfss://features@stbankprod.dfs.core.windows.net/quarterly"
    assert layout.quarantine == "abfss://quarantine@stbankprod.dfs.core.windows.net/rows"
    assert layout.export == "abfss://features@stbankprod.dfs.core.windows.net/export"
    assert layout.runs == "abfss://curated@stbankprod.dfs.core.windows.net/_runs"


def test_maps_a_single_container_uri_like_a_plain_root():
    layout = lake_layout("abfss://lake@acct.dfs.core.windows.net/bank")
    assert layout.curated == "abfss://lake@acct.dfs.core.windows.net/bank/curated/transactions"


def test_the_publication_credential_is_taken_by_name_and_unset_when_empty():
    base = ["--input", "x", "--lake", "abfss://{container}@acct.dfs.core.windows.net/", "--pg-url", "postgresql://h/db"]
    assert parse_args(base + ["--publication-credential", "bank_prod_publication"]).publication_credential == "bank_prod_publication"
    assert parse_args(base + ["--publication-credential", ""]).publication_credential is None
    assert parse_args(base).publication_credential is None


def test_rejects_a_publication_credential_that_is_not_a_credential_name():
    with pytest.raises(ConfigError, match=r"--publication-credential must be a Unity Catalog credential name.*'bank prod'"):
        parse_args(["--input", "x", "--lake", "l", "--pg-url", "postgresql://h/db", "--publication-credential", "bank prod"])


def test_rejects_a_publication_credential_for_a_lake_that_is_not_adls():
    with pytest.raises(ConfigError, match=r"--lake must be an abfss:// URI with it, got '/tmp/lake'"):
        parse_args(["--input", "x", "--lake", "/tmp/lake", "--pg-url", "postgresql://h/db", "--publication-credential", "bank_prod_publication"])


def test_secret_arguments_go_together():
    with pytest.raises(ConfigError, match="go together"):
        parse_args(["--input", "x", "--lake", "l", "--pg-url", "postgresql://h/db", "--secret-scope", "kv"])


def test_migrate_takes_an_optional_reader_login_whose_password_comes_from_a_secret_or_the_environment(monkeypatch, tmp_path):
    from bank_etl.config import parse_migrate_args
    from bank_etl.main import with_migrate_secrets

    url = ["--pg-url", "postgresql://pg.example:5432/bank?sslmode=verify-full"]
    monkeypatch.delenv("BANK_READER_PASSWORD", raising=False)
    monkeypatch.delenv("DATABRICKS_RUNTIME_VERSION", raising=False)
    assert parse_migrate_args(url).reader_login is None
    assert parse_migrate_args(url + ["--reader-login", ""]).reader_login is None  # an unset job parameter
    on_databricks = parse_migrate_args(url + ["--secret-scope", "kv", "--reader-login", "ml_app",
                                              "--reader-password-key", "ml-app-password"])
    assert (on_databricks.reader_login, on_databricks.reader_password_key) == ("ml_app", "ml-app-password")
    secrets = {("kv", "ml-app-password"): "from-key-vault"}
    entry_file = str(tmp_path / "run_migrate.py")  # locally: no deployment.json beside it
    resolved = with_migrate_secrets(on_databricks, entry_file, get_secret=lambda scope, key: secrets[(scope, key)])
    assert resolved.reader_password == "from-key-vault" and "from-key-vault" not in repr(resolved)
    for argv, message in ((["--reader-login", "ml_app"], "--reader-login needs a password"),
                          (["--reader-password-key", "k"], "need --secret-scope"),
                          (["--secret-scope", "kv", "--reader-password-key", "k"], "needs --reader-login"),
                          (["--reader-login", "ml-app"], "plain SQL identifier")):
        with pytest.raises(ConfigError, match=message):
            parse_migrate_args(url + argv)
    monkeypatch.setenv("BANK_READER_PASSWORD", "from-the-environment")
    local = parse_migrate_args(url + ["--reader-login", "ml_app"])
    assert local.reader_password == "from-the-environment" and "from-the-environment" not in repr(local)


BASE = ["--input", "x.csv", "--lake", "lake", "--pg-url", "postgresql://h/db", "--all"]


def test_postgres_gets_every_row_unless_told_aggregates_only():
    from bank_etl.config import PG_DETAIL_AGGREGATES, PG_DETAIL_ROWS

    assert parse_args(BASE).pg_detail == PG_DETAIL_ROWS
    assert parse_args([*BASE, "--pg-detail", ""]).pg_detail == PG_DETAIL_ROWS  # an unset job parameter
    assert parse_args([*BASE, "--pg-detail", "aggregates"]).pg_detail == PG_DETAIL_AGGREGATES
    with pytest.raises(ConfigError, match="--pg-detail must be one of rows, aggregates, got 'features'"):
        parse_args([*BASE, "--pg-detail", "features"])


def test_maintenance_refuses_a_retention_shorter_than_the_undo_window_needs():
    from bank_etl.config import parse_maintain_args

    config = parse_maintain_args(["--lake", "abfss://{container}@st.dfs.core.windows.net/", "--catalog", ""])
    assert (config.catalog, config.retain_hours) == (None, 168)
    assert parse_maintain_args(["--lake", "lake", "--retain-hours", "720"]).retain_hours == 720
    for hours in ("24", "-1", "a week"):
        with pytest.raises(ConfigError, match="--retain-hours must be a whole number of hours of at least 168"):
            parse_maintain_args(["--lake", "lake", "--retain-hours", hours])
