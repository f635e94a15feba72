"""Backups and restores: ``manage.py backup`` and ``restore`` (registry.backups).

The round trip through pg_dump and pg_restore runs on PostgreSQL
(DATABASE_URL=postgres://…); the SQLite copies are tested on files of their own, so
they run on either.
"""

import datetime as dt
import io
import sqlite3
import stat
import sys

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from registry.backups import (
    MAGIC,
    POSTGRESQL,
    SQLITE,
    BackupError,
    backup_database,
    default_backup_path,
    restore_database,
)
from registry.models import (
    Agreement,
    Institution,
    SearchIndexChange,
    SearchIndexVersion,
)
from registry.reference_data import load_reference_data
from registry.roles import ensure_roles
from tests.factories import make_agreement

ON_POSTGRESQL = "postgresql" in settings.DATABASES["default"]["ENGINE"]
THIS_ENGINE = POSTGRESQL if ON_POSTGRESQL else SQLITE
OTHER_ENGINE = SQLITE if ON_POSTGRESQL else POSTGRESQL
needs_postgresql = pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason=(
        "pg_dump and pg_restore need a PostgreSQL test database: run with "
        "DATABASE_URL=postgres://…"
    ),
)
needs_sqlite = pytest.mark.skipif(
    ON_POSTGRESQL, reason="The site's own SQLite database: run without DATABASE_URL."
)


def rows_of_every_table() -> dict[str, list[tuple]]:
    """Every table's rows, in order: what a restore must give back."""
    tables = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            tables[table] = sorted(
                (tuple(_comparable(value) for value in row) for row in cursor),
                key=repr,
            )
    return tables


def _comparable(value):
    return bytes(value) if isinstance(value, memoryview) else value


@pytest.fixture
def reference_data(reference_data_at_the_end, transactional_db):
    # A transactional test before this one emptied every table.
    load_reference_data()
    ensure_roles()


@pytest.fixture
def no_terminal(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO())


def restore(path, **options):
    out = io.StringIO()
    call_command("restore", str(path), stdout=out, **options)
    return out.getvalue()


# The round trip on PostgreSQL.


@needs_postgresql
def test_postgresql_round_trip_gives_back_every_row(tmp_path, reference_data):
    call_command("load_reference_data", stdout=io.StringIO())
    make_agreement(title="Kept as it is")
    renamed = make_agreement(
        title="Renamed after the backup", us=("stanford-university",)
    )
    deleted = make_agreement(title="Deleted after the backup", jp=("kyoto-university",))
    counter = SearchIndexVersion.objects.get()
    before = rows_of_every_table()
    assert len(before) > 30
    assert sum(map(len, before.values())) > 1000

    out = io.StringIO()
    call_command("backup", output=tmp_path / "registry.dump", stdout=out)
    backup = tmp_path / "registry.dump"
    assert out.getvalue().startswith(
        f"Backed up the PostgreSQL database “{connection.settings_dict['NAME']}” to "
        f"{backup} ("
    )
    assert backup.read_bytes().startswith(b"PGDMP")
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert [path.name for path in tmp_path.iterdir()] == ["registry.dump"]

    Agreement.objects.filter(pk=renamed.pk).update(title="Something else")
    deleted.delete()
    Institution.objects.filter(slug="tohoku-university").update(city="Nowhere")
    make_agreement(title="Made after the backup")
    version_then = SearchIndexVersion.current()
    generation_then = SearchIndexVersion.generation_now()
    assert rows_of_every_table() != before

    output = restore(backup, yes=True)

    assert output.startswith(
        f"Restored the PostgreSQL database “{connection.settings_dict['NAME']}” from "
        f"{backup} in "
    )
    assert "migrate" not in output
    # The one change a restore makes to the backup: the search index counter moves
    # past every version the running processes may have seen, under a new generation.
    moved = SearchIndexVersion.objects.get()
    assert moved.version == version_then + 1
    assert str(moved.generation) != generation_then
    assert list(
        SearchIndexChange.objects.filter(version=moved.version).values_list(
            "agreement_id", flat=True
        )
    ) == [None]
    SearchIndexChange.objects.filter(version=moved.version).delete()
    SearchIndexVersion.objects.filter(pk=moved.pk).update(
        version=counter.version, generation=counter.generation
    )
    after = rows_of_every_table()
    assert list(after) == list(before)
    for table, rows in before.items():
        assert after[table] == rows, table
    # The sequences came back too: a new row takes a new id.
    assert make_agreement(title="After the restore").pk > max(
        Agreement.objects.exclude(title="After the restore").values_list(
            "pk", flat=True
        )
    )


@needs_postgresql
def test_a_failing_pg_restore_changes_nothing(tmp_path, reference_data):
    make_agreement(title="Before the broken restore")
    backup = tmp_path / "registry.dump"
    call_command("backup", output=backup, stdout=io.StringIO())
    broken = tmp_path / "broken.dump"
    broken.write_bytes(backup.read_bytes()[: backup.stat().st_size * 2 // 3])
    Agreement.objects.filter(title="Before the broken restore").delete()
    before = rows_of_every_table()

    with pytest.raises(CommandError) as error:
        restore(broken, yes=True)

    message = str(error.value)
    assert message.startswith(
        "pg_restore failed (exit status 1); it ran in one transaction, so the "
        "database is unchanged:\npg_restore: "
    )
    assert rows_of_every_table() == before


@needs_postgresql
def test_a_failing_pg_dump_shows_why_and_leaves_no_file(tmp_path):
    nowhere = {**connection.settings_dict, "NAME": "usjp_no_such_database"}

    with pytest.raises(BackupError) as error:
        backup_database(settings_dict=nowhere, output=tmp_path / "registry.dump")

    message = str(error.value)
    assert message.startswith(
        "pg_dump failed (exit status 1); no backup was written:\npg_dump: error:"
    )
    assert 'database "usjp_no_such_database" does not exist' in message
    assert list(tmp_path.iterdir()) == []


def test_without_pg_dump_on_the_path_the_message_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    database = {"ENGINE": "django.db.backends.postgresql", "NAME": "usjp"}

    with pytest.raises(BackupError) as error:
        backup_database(settings_dict=database, output=tmp_path / "registry.dump")

    assert str(error.value) == (
        "pg_dump was not found: install the PostgreSQL client programs (the server's "
        "major version or newer) and put them on PATH."
    )
    assert list(tmp_path.iterdir()) == []


def test_the_password_goes_to_pg_dump_in_its_environment(tmp_path, monkeypatch):
    seen = {}

    def run(command, *, env, **options):
        seen.update(command=command, env=env)
        return type("Completed", (), {"returncode": 0, "stderr": ""})()

    monkeypatch.setattr("registry.backups.subprocess.run", run)
    database = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "usjp",
        "USER": "registry",
        "PASSWORD": "s3cret",
        "HOST": "db.example.org",
        "PORT": 6432,
        "OPTIONS": {"sslmode": "require"},
    }

    backup_database(settings_dict=database, output=tmp_path / "registry.dump")

    assert seen["command"][:4] == [
        "pg_dump",
        "--format=custom",
        "--no-owner",
        "--no-privileges",
    ]
    assert not any("s3cret" in argument for argument in seen["command"])
    assert {
        name: seen["env"][name]
        for name in ("PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE")
    } == {
        "PGHOST": "db.example.org",
        "PGPORT": "6432",
        "PGUSER": "registry",
        "PGPASSWORD": "s3cret",
        "PGDATABASE": "usjp",
    }
    assert seen["env"]["PGSSLMODE"] == "require"


# The round trip on SQLite, with files of its own.


def sqlite_database(path):
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}


def sqlite_rows(path) -> dict[str, list[tuple]]:
    database = sqlite3.connect(path)
    try:
        tables = [
            name
            for (name,) in database.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        return {
            table: database.execute(f'SELECT * FROM "{table}" ORDER BY 1').fetchall()
            for table in tables
        }
    finally:
        database.close()


def make_sqlite_registry(path):
    database = sqlite3.connect(path)
    database.executescript(
        """
        CREATE TABLE institution (id INTEGER PRIMARY KEY, name TEXT, name_ja TEXT);
        CREATE TABLE agreement (id INTEGER PRIMARY KEY, title TEXT, document BLOB);
        INSERT INTO institution VALUES (1, 'Tohoku University', '東北大学'),
            (2, 'Harvard University', 'ハーバード大学');
        INSERT INTO agreement VALUES (1, 'Joint research', x'00ff10'),
            (2, 'Student exchange', NULL);
        """
    )
    database.commit()
    database.close()


def test_sqlite_round_trip_gives_back_every_row(tmp_path):
    site = tmp_path / "db.sqlite3"
    make_sqlite_registry(site)
    before = sqlite_rows(site)
    backup = tmp_path / "backups" / "registry.sqlite3"

    made = backup_database(settings_dict=sqlite_database(site), output=backup)

    assert made.path == backup and made.engine == SQLITE
    assert made.size == backup.stat().st_size
    assert backup.read_bytes().startswith(MAGIC[SQLITE])
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    database = sqlite3.connect(site)
    database.executescript(
        """
        UPDATE institution SET name = 'Renamed' WHERE id = 1;
        DELETE FROM agreement WHERE id = 2;
        INSERT INTO agreement VALUES (3, 'Made after the backup', NULL);
        CREATE TABLE made_after (id INTEGER PRIMARY KEY);
        """
    )
    database.commit()
    database.close()
    assert sqlite_rows(site) != before

    restore_database(settings_dict=sqlite_database(site), source=backup)

    assert sqlite_rows(site) == before


def test_a_sqlite_backup_is_one_moment_even_while_another_connection_writes(
    tmp_path,
):
    site = tmp_path / "db.sqlite3"
    make_sqlite_registry(site)
    before = sqlite_rows(site)
    writer = sqlite3.connect(site, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO agreement VALUES (3, 'Not committed yet', NULL)")
    backup = tmp_path / "registry.sqlite3"

    backup_database(settings_dict=sqlite_database(site), output=backup)

    writer.execute("COMMIT")
    writer.close()
    assert sqlite_rows(backup) == before


def test_a_backup_never_overwrites_a_file(tmp_path):
    site = tmp_path / "db.sqlite3"
    make_sqlite_registry(site)
    earlier = tmp_path / "registry.sqlite3"
    earlier.write_bytes(b"an earlier backup")

    with pytest.raises(BackupError) as error:
        backup_database(settings_dict=sqlite_database(site), output=earlier)

    assert str(error.value) == (
        f"{earlier} already exists: choose another --output, or remove it first."
    )
    assert earlier.read_bytes() == b"an earlier backup"
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "db.sqlite3",
        "registry.sqlite3",
    ]


def test_a_missing_sqlite_database_is_not_backed_up_as_an_empty_one(tmp_path):
    with pytest.raises(BackupError) as error:
        backup_database(
            settings_dict=sqlite_database(tmp_path / "db.sqlite3"),
            output=tmp_path / "registry.sqlite3",
        )

    assert str(error.value) == (
        f"No SQLite database at {tmp_path / 'db.sqlite3'}: nothing to back up."
    )
    assert list(tmp_path.iterdir()) == []


def test_a_damaged_sqlite_backup_is_not_restored(tmp_path):
    site = tmp_path / "db.sqlite3"
    make_sqlite_registry(site)
    before = sqlite_rows(site)
    damaged = tmp_path / "damaged.sqlite3"
    damaged.write_bytes(MAGIC[SQLITE] + b"\x10\x00" + b"\xff" * 4000)

    with pytest.raises(BackupError) as error:
        restore_database(settings_dict=sqlite_database(site), source=damaged)

    assert str(error.value).startswith(f"{damaged} is damaged (SQLite's check says: ")
    assert str(error.value).endswith("). Nothing was restored.")
    assert sqlite_rows(site) == before


def test_backups_are_named_after_the_database_and_the_time(tmp_path):
    now = dt.datetime(2026, 11, 30, 19, 49, 1, tzinfo=dt.UTC)
    postgres = {"ENGINE": "django.db.backends.postgresql", "NAME": "usjp"}

    assert default_backup_path(settings_dict=postgres, directory=tmp_path, now=now) == (
        tmp_path / "usjp-usjp-20261130T194901Z.dump"
    )
    assert default_backup_path(
        settings_dict=sqlite_database("/srv/usjp/db.sqlite3"),
        directory=tmp_path,
        now=now.astimezone(dt.timezone(dt.timedelta(hours=9))),
    ) == (tmp_path / "usjp-db-20261130T194901Z.sqlite3")


# The site's own SQLite database, through the commands.


@needs_sqlite
def test_sqlite_round_trip_through_the_commands(tmp_path, reference_data):
    make_agreement(title="Kept as it is")
    before = rows_of_every_table()
    backup = tmp_path / "registry.sqlite3"
    call_command("backup", output=backup, stdout=io.StringIO())
    Agreement.objects.filter(title="Kept as it is").update(title="Renamed")
    version_then = SearchIndexVersion.current()

    output = restore(backup, yes=True)

    assert output.startswith("Restored the SQLite database “")
    assert SearchIndexVersion.current() == version_then + 1
    after = rows_of_every_table()
    index_tables = {SearchIndexVersion._meta.db_table, SearchIndexChange._meta.db_table}
    assert {
        table: rows for table, rows in after.items() if table not in index_tables
    } == {table: rows for table, rows in before.items() if table not in index_tables}


# What restore refuses, changing nothing.


def backup_of_the_other_engine(path):
    if OTHER_ENGINE == SQLITE:
        make_sqlite_registry(path)
    else:
        path.write_bytes(MAGIC[POSTGRESQL] + b"\x01\x0e\x00" + b"\x00" * 100)
    return path


def backup_of_this_engine_by_its_look(path):
    """A file that starts as a backup of this site's engine: restore checks no further
    before asking for confirmation."""
    if THIS_ENGINE == SQLITE:
        make_sqlite_registry(path)
    else:
        path.write_bytes(MAGIC[POSTGRESQL] + b"\x01\x0e\x00" + b"\x00" * 100)
    return path


@pytest.mark.django_db
def test_restore_of_a_missing_file(tmp_path):
    before = rows_of_every_table()

    with pytest.raises(CommandError) as error:
        restore(tmp_path / "registry.dump", yes=True)

    assert str(error.value) == f"No backup file at {tmp_path / 'registry.dump'}."
    assert rows_of_every_table() == before


@pytest.mark.django_db
def test_restore_of_the_other_engines_backup(tmp_path):
    backup = backup_of_the_other_engine(tmp_path / "other-backup")
    before = rows_of_every_table()

    with pytest.raises(CommandError) as error:
        restore(backup, yes=True)

    assert str(error.value) == (
        f"{backup} is a backup of a {OTHER_ENGINE} database, but this site's database "
        f"is {THIS_ENGINE}: a backup restores only into the kind of database it was "
        "made from. Nothing was restored."
    )
    assert rows_of_every_table() == before


@pytest.mark.django_db
def test_restore_of_a_file_that_is_no_backup(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("Not a backup.\n")
    empty = tmp_path / "empty.dump"
    empty.write_bytes(b"")
    before = rows_of_every_table()

    for path in (notes, empty):
        with pytest.raises(CommandError) as error:
            restore(path, yes=True)
        assert str(error.value) == (
            f"{path} is not a backup of a {THIS_ENGINE} database (one made by "
            "“manage.py backup”). Nothing was restored."
        )
    assert rows_of_every_table() == before


@pytest.mark.django_db
def test_restore_without_yes_asks_first(tmp_path, no_terminal):
    backup = backup_of_this_engine_by_its_look(tmp_path / "registry-backup")
    before = rows_of_every_table()

    with pytest.raises(CommandError) as error:
        restore(backup)

    assert str(error.value) == (
        f"Restoring replaces everything in the {THIS_ENGINE} database "
        f"“{connection.settings_dict['NAME']}”: run again with --yes to confirm. "
        "Nothing was restored."
    )
    assert rows_of_every_table() == before


@pytest.mark.django_db
def test_restore_in_a_terminal_takes_no_for_an_answer(tmp_path, monkeypatch):
    backup = backup_of_this_engine_by_its_look(tmp_path / "registry-backup")
    monkeypatch.setattr(
        sys, "stdin", type("Terminal", (), {"isatty": lambda self: True})()
    )
    questions = []
    monkeypatch.setattr(
        "builtins.input", lambda question: questions.append(question) or "no"
    )
    before = rows_of_every_table()

    assert restore(backup) == "Restore cancelled: nothing was changed.\n"

    assert questions == [
        f"Restoring replaces everything in the {THIS_ENGINE} database "
        f"“{connection.settings_dict['NAME']}” with the contents of {backup}. Type "
        "“yes” to continue: "
    ]
    assert rows_of_every_table() == before
