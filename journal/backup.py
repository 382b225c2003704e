"""A copy of the whole database to a file, taken while the app serves (README, "Running it in
production", has the restore).

SQLite: its online backup API, which copies a consistent state page by page while others keep
reading and writing. PostgreSQL: `pg_dump --format=custom`, which reads one snapshot and is
restored with `pg_restore`.
"""

import os
import shutil
import sqlite3
import subprocess  # nosec B404 # pg_dump, run without a shell (below)
from pathlib import Path

from sqlalchemy.engine import URL


class BackupError(Exception):
    """Why no backup was made, in one line."""


def back_up(url: URL, target: Path) -> None:
    """Copy the database at `url` to `target`, a file that must not exist yet. It appears only
    when complete: a failed backup leaves nothing there."""
    if target.exists():
        raise BackupError(f"{target} already exists: choose a new name, or remove it first.")
    if not target.parent.is_dir():
        raise BackupError(f"{target.parent} is not a folder.")
    partial = target.with_name(target.name + ".partial")
    try:
        if url.get_backend_name() == "sqlite":
            _sqlite(url, partial)
        elif url.get_backend_name() == "postgresql":
            _postgresql(url, partial)
        else:
            raise BackupError(f"No backup for {url.get_backend_name()} databases.")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _sqlite(url: URL, partial: Path) -> None:
    if not url.database or url.database == ":memory:":
        raise BackupError("The database is in memory: there is no file to back up.")
    if not Path(url.database).is_file():
        raise BackupError(f"There is no database at {url.database}.")
    source = sqlite3.connect(f"file:{url.database}?mode=ro", uri=True)
    target = sqlite3.connect(partial)
    try:
        with target:
            source.backup(target)
    finally:
        target.close()
        source.close()


def _postgresql(url: URL, partial: Path) -> None:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupError(
            "pg_dump is not on PATH: install PostgreSQL's client tools (the server's version"
            " or newer) and try again."
        )
    # libpq's own form of the address, the password in the environment: never in a process
    # list, where any user of the machine could read it.
    address = url.set(drivername="postgresql", password=None)
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    command = [pg_dump, "--format=custom", f"--file={partial}", "--no-password"]
    command.append(f"--dbname={address.render_as_string(hide_password=False)}")
    # No shell, and every argument is the operator's own setting or path.
    done = subprocess.run(  # nosec B603 # noqa: S603
        command, env=environment, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise BackupError(f"pg_dump failed: {last}")
