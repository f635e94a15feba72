"""Backups of the registry's database, and restoring one (``manage.py backup`` and
``manage.py restore``; ``make backup`` and ``make restore``).

PostgreSQL is copied by pg_dump in its custom format: compressed, with the schema,
every row and the sequences, and restorable by pg_restore in one transaction, so a
restore that fails leaves the database as it was. SQLite is copied with SQLite's own
backup API, which reads a consistent snapshot even while the site is writing; a plain
file copy could catch a write half done.

A backup holds everything, staff accounts' password hashes, API tokens and sessions
included: it is written readable by its owner only.
"""

import datetime as dt
import os
import re
import sqlite3
import subprocess
import tempfile
import uuid
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import SearchIndexVersion

POSTGRESQL = "PostgreSQL"
SQLITE = "SQLite"
SUFFIXES = {POSTGRESQL: ".dump", SQLITE: ".sqlite3"}
# What each kind of backup file starts with: pg_dump's custom format, and every SQLite
# database file.
MAGIC = {POSTGRESQL: b"PGDMP", SQLITE: b"SQLite format 3\x00"}
DEFAULT_DIRECTORY = Path(settings.BASE_DIR) / "backups"

# Connection options Django passes to psycopg that pg_dump and pg_restore read from
# these variables (libpq's own names).
LIBPQ_OPTIONS = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}


class BackupError(Exception):
    """A backup or restore that did not happen; the message says why, to a person."""


@dataclass(frozen=True)
class Backup:
    path: Path
    engine: str
    database: str
    size: int


def engine_of(settings_dict) -> str:
    """PostgreSQL or SQLite: the two engines the site runs on, and so the two whose
    backups it knows how to make."""
    engine = settings_dict["ENGINE"]
    if "postgresql" in engine or "postgis" in engine:
        return POSTGRESQL
    if "sqlite" in engine or "spatialite" in engine:
        return SQLITE
    raise BackupError(
        _(
            "Backups support PostgreSQL and SQLite; this site's database engine is "
            "%(engine)s."
        )
        % {"engine": engine}
    )


def database_name(settings_dict) -> str:
    return str(settings_dict["NAME"])


def default_backup_path(
    *, settings_dict, directory=DEFAULT_DIRECTORY, now=None
) -> Path:
    """A new name per backup, sorting by time, saying which database it copies: backups
    of several sites or of a test database can share the directory."""
    engine = engine_of(settings_dict)
    name = database_name(settings_dict)
    if engine == SQLITE:
        name = name.removeprefix("file:").split("?")[0]
        name = Path(name).stem
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.") or "database"
    stamp = (now or timezone.now()).astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path(directory) / f"usjp-{name}-{stamp}{SUFFIXES[engine]}"


def backup_database(*, settings_dict, output: Path) -> Backup:
    """Write a backup of the database to ``output``, which must not exist yet: an
    earlier backup is never overwritten. The file appears only when complete (written
    beside it, then renamed), so a failed backup leaves no file that looks like one."""
    engine = engine_of(settings_dict)
    output = Path(output)
    if output.exists():
        raise BackupError(
            _("%(path)s already exists: choose another --output, or remove it first.")
            % {"path": output}
        )
    output.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # mkstemp makes the file readable by its owner only, and pg_dump and SQLite keep
    # the mode of the file they write into.
    handle, partial = tempfile.mkstemp(
        dir=output.parent, prefix=f".{output.name}.", suffix=".partial"
    )
    os.close(handle)
    partial = Path(partial)
    try:
        if engine == POSTGRESQL:
            _run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--file={partial}",
                ],
                env=postgres_environment(settings_dict),
                failed=_(
                    "pg_dump failed (exit status %(status)s); no backup was written:"
                ),
            )
        else:
            _sqlite_copy(
                source=_sqlite_database(settings_dict, must_exist=True),
                target=str(partial),
            )
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
    return Backup(
        path=output,
        engine=engine,
        database=database_name(settings_dict),
        size=output.stat().st_size,
    )


def check_backup_file(*, path: Path, engine: str) -> None:
    """Say what is wrong with the file before anything changes, and before asking for
    confirmation. To SQLite an empty file is an empty database, which would restore
    as an empty registry."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(_("No backup file at %(path)s.") % {"path": path})
    try:
        with path.open("rb") as file:
            head = file.read(max(len(magic) for magic in MAGIC.values()))
    except OSError as error:
        raise BackupError(
            _("Cannot read %(file)s: %(error)s")
            % {"file": path, "error": error.strerror or error}
        ) from None
    if head.startswith(MAGIC[engine]):
        return
    found = next(
        (kind for kind, magic in MAGIC.items() if head.startswith(magic)), None
    )
    if found:
        raise BackupError(
            _(
                "%(path)s is a backup of a %(found)s database, but this site's "
                "database is %(engine)s: a backup restores only into the kind of "
                "database it was made from. Nothing was restored."
            )
            % {"path": path, "found": found, "engine": engine}
        )
    raise BackupError(
        _(
            "%(path)s is not a backup of a %(engine)s database (one made by “manage.py "
            "backup”). Nothing was restored."
        )
        % {"path": path, "engine": engine}
    )


def restore_database(*, settings_dict, source: Path) -> None:
    """Replace the database's contents with the backup's.

    Django's own connections are closed first: one left open in a transaction holds
    locks that pg_restore's DROP TABLEs would wait for, for ever."""
    engine = engine_of(settings_dict)
    check_backup_file(path=source, engine=engine)
    connections.close_all()
    if engine == POSTGRESQL:
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                # Empty: libpq takes the database from PGDATABASE. Without --dbname
                # pg_restore would print SQL instead of restoring.
                "--dbname=",
                str(source),
            ],
            env=postgres_environment(settings_dict),
            failed=_(
                "pg_restore failed (exit status %(status)s); it ran in one "
                "transaction, so the database is unchanged:"
            ),
        )
    else:
        source_uri = f"{Path(source).resolve().as_uri()}?mode=ro"
        _check_sqlite_file(source_uri, path=source)
        _sqlite_copy(source=source_uri, target=_sqlite_database(settings_dict))


def search_index_version() -> int:
    """The search index counter, 0 where there is none yet (an empty database)."""
    if SearchIndexVersion._meta.db_table not in _tables():
        return 0
    return SearchIndexVersion.current()


def restart_search_index(*, after: int) -> int | None:
    """Move the restored database's search index counter past ``after`` (the counter
    before the restore), under a new generation; returns the new version.

    A restore puts the counter back to the backup's value, which the running processes
    have passed: they would keep their newer index, or bring it up to date from moves
    the restore took away, and the machine's shared index store already holds
    indexes of the versions that follow, made from the rows the restore replaced. A
    version none of them has seen, recorded as a change of everything, under a
    generation of its own, makes every process build its index anew.

    None when the restored database has no counter (an empty backup) or one from
    before generations (migration 0007, which gives it a generation of its own)."""
    if SearchIndexVersion._meta.db_table not in _tables():
        return None
    try:
        with transaction.atomic():
            current = SearchIndexVersion.current()
            SearchIndexVersion.objects.update_or_create(
                pk=1,
                defaults={"version": max(current, after), "generation": uuid.uuid4()},
            )
            return SearchIndexVersion.bump()
    except DatabaseError:
        return None


def unapplied_migrations() -> list[str]:
    """The code's migrations the restored database has not had: an older backup."""
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _back in plan]


def postgres_environment(settings_dict) -> dict[str, str]:
    """The connection as libpq's environment variables: a password on a command line
    can be read by every user of the machine (ps)."""
    env = dict(os.environ)
    values = {
        "PGHOST": settings_dict.get("HOST"),
        "PGPORT": settings_dict.get("PORT"),
        "PGUSER": settings_dict.get("USER"),
        "PGPASSWORD": settings_dict.get("PASSWORD"),
        "PGDATABASE": settings_dict.get("NAME"),
    }
    options = settings_dict.get("OPTIONS") or {}
    values.update(
        {variable: options.get(option) for option, variable in LIBPQ_OPTIONS.items()}
    )
    env.update({name: str(value) for name, value in values.items() if value})
    return env


def _run(command: list[str], *, env: dict[str, str], failed: str) -> None:
    program = command[0]
    try:
        completed = subprocess.run(
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            check=False,
        )
    except FileNotFoundError:
        raise BackupError(
            _(
                "%(program)s was not found: install the PostgreSQL client programs "
                "(the server's major version or newer) and put them on PATH."
            )
            % {"program": program}
        ) from None
    if completed.returncode != 0:
        raise BackupError(
            failed % {"status": completed.returncode}
            + "\n"
            + (completed.stderr.strip() or _("(nothing on standard error)"))
        )


def _sqlite_database(settings_dict, *, must_exist=False) -> str:
    """The database as Django opens it: a path, or a ``file:`` URI (the tests' shared
    in-memory database)."""
    name = database_name(settings_dict)
    a_file = not name.startswith("file:") and name != ":memory:"
    if must_exist and a_file and not Path(name).is_file():
        # Connecting would make an empty database and back that up.
        raise BackupError(
            _("No SQLite database at %(path)s: nothing to back up.") % {"path": name}
        )
    return name


def _check_sqlite_file(uri: str, *, path: Path) -> None:
    try:
        with _sqlite_connection(uri) as database:
            result = database.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.Error as error:
        result = str(error)
    if result != "ok":
        raise BackupError(
            _(
                "%(path)s is damaged (SQLite's check says: %(result)s). Nothing was "
                "restored."
            )
            % {"path": path, "result": result}
        )


def _sqlite_copy(*, source: str, target: str) -> None:
    """Copy every page in one step of the backup API: one read transaction, so the
    copy is a single moment's database even while others write."""
    try:
        with (
            _sqlite_connection(source) as source_db,
            _sqlite_connection(target) as target_db,
        ):
            source_db.backup(target_db)
    except sqlite3.Error as error:
        raise BackupError(
            _("SQLite could not copy the database: %(error)s") % {"error": error}
        ) from None


def _sqlite_connection(database: str):
    # As Django opens it (a path, or a file: URI); closing(): sqlite3's own context
    # manager commits but never closes.
    return closing(sqlite3.connect(database, uri=True))


def _tables() -> set[str]:
    return set(connection.introspection.table_names())
