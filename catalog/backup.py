"""Back up and restore the catalog, the system of record (search indexes are rebuilt from it).

- SQLite: SQLite's online backup API (``sqlite3.Connection.backup``), a consistent copy of a
  catalog in use, page by page, without stopping the server; the backup is a SQLite file.
- PostgreSQL: ``pg_dump --format=custom`` (a consistent snapshot of a live database) and
  ``pg_restore``, the PostgreSQL client tools (Debian's ``postgresql-client``), of the server's
  major version or newer. Connection settings go to them through libpq's environment
  (PGHOST, PGPASSWORD…), so the password never shows on a command line.

A restore goes into an empty catalog only (a fresh data dir or an empty database), so it can
never mix two catalogs; migrations run on it afterwards (a backup of an older version is
upgraded), and the caller rebuilds the search index.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

import sqlalchemy as sa

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why."""


def _sqlite_path(url: str) -> Path | None:
    return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None


def _pg_env(url: str) -> dict[str, str]:
    parsed = sa.engine.make_url(url)
    if not parsed.get_backend_name().startswith("postgresql"):
        raise BackupError(f"cannot back up a {parsed.get_backend_name()} catalog (SQLite and PostgreSQL only)")
    env = {"PGHOST": parsed.host or "", "PGPORT": str(parsed.port or ""), "PGUSER": parsed.username or "",
           "PGPASSWORD": parsed.password or "", "PGDATABASE": parsed.database or ""}
    return {**os.environ, **{k: v for k, v in env.items() if v}}


def _run(tool: str, args: list[str], env: dict[str, str]) -> None:
    if shutil.which(tool) is None:
        raise BackupError(f"{tool} is not installed (Debian: apt-get install postgresql-client)")
    done = subprocess.run([tool, *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{tool} failed: {done.stderr.strip() or done.returncode}")


def _sqlite_copy(source: Path, target: Path) -> None:
    """SQLite's online backup: consistent even while the server writes to ``source``."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def backup(url: str, target: Path) -> None:
    """Write a backup of the catalog at ``url`` to ``target`` (which must not exist)."""
    if target.exists():
        raise BackupError(f"{target} exists already: give a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    try:
        if (path := _sqlite_path(url)) is not None:
            if not path.exists():
                raise BackupError("the catalog does not exist yet (nothing to back up)")
            _sqlite_copy(path, partial)
        else:
            _run("pg_dump", ["--format=custom", "--no-owner", "--no-privileges", f"--file={partial}"], _pg_env(url))
        os.replace(partial, target)  # a backup file is whole or absent
    finally:
        partial.unlink(missing_ok=True)


def _is_empty(url: str) -> bool:
    """No table at all, or the catalog's tables without a single entry or account."""
    db = sa.create_engine(url)
    try:
        inspector = sa.inspect(db)
        tables = inspector.get_table_names()
        if not tables:
            return True
        with db.connect() as conn:
            return all(conn.execute(sa.text(f'SELECT 1 FROM "{t}" LIMIT 1')).first() is None
                       for t in ("entries", "users", "agencies") if t in tables)
    finally:
        db.dispose()


def restore(url: str, source: Path) -> None:
    """Restore ``source`` (made by ``backup``) into the empty catalog at ``url``."""
    if not source.is_file():
        raise BackupError(f"{source}: no such backup file")
    magic = source.read_bytes()[:16]
    path = _sqlite_path(url)
    if path is not None:
        if not magic.startswith(SQLITE_MAGIC):
            raise BackupError(f"{source} is not a SQLite backup, and the catalog is SQLite")
        if path.exists() and not _is_empty(url):
            raise BackupError(f"the catalog {path.name} is not empty: restore into an empty data dir")
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("-wal", "-shm"):  # an empty catalog's journal must not be replayed onto the backup
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        _sqlite_copy(source, path)
        return
    if not magic.startswith(PG_DUMP_MAGIC):
        raise BackupError(f"{source} is not a pg_dump backup, and the catalog is PostgreSQL")
    env = _pg_env(url)
    if not _is_empty(url):
        raise BackupError("the catalog database is not empty: restore into a new, empty database")
    db = sa.create_engine(url)
    try:  # an empty catalog opened once has its (empty) tables: drop them for pg_restore
        with db.begin() as conn:
            for table in sa.inspect(db).get_table_names():
                conn.execute(sa.text(f'DROP TABLE IF EXISTS "{table}" CASCADE'))
    finally:
        db.dispose()
    _run("pg_restore", ["--no-owner", "--no-privileges", "--exit-on-error", f"--dbname={env.get('PGDATABASE', '')}",
                        str(source)], env)
