"""The SQLite database: one connection, owned by the event loop that serves.

Tables are defined with SQLModel (`app.models`) and read with it when a tenant
is loaded. Writes on the request path use the same connection's DB-API cursor
directly: an ORM round trip would cost more than the rest of a PATCH together.
"""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.pool import StaticPool
from sqlmodel import SQLModel, create_engine

from app import models  # noqa: F401  (registers the tables)


class Database:
    """An in-memory database, or a file that outlives the process."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        url = f"sqlite:///{path}" if path is not None else "sqlite://"
        # One shared connection: the emulator serves from a single event loop,
        # so writers never wait on each other and SQLite never reports "locked".
        self.engine: Engine = create_engine(
            url,
            poolclass=StaticPool,
            connect_args={"check_same_thread": False},
        )
        raw = self.engine.raw_connection()
        connection = raw.driver_connection
        assert isinstance(connection, sqlite3.Connection)
        self.connection = connection
        self.connection.isolation_level = None
        if path is not None:
            # WAL with synchronous=NORMAL: a commit is in the log before the
            # response goes out, so a killed process loses nothing it answered.
            self.connection.execute("PRAGMA journal_mode=WAL")
            self.connection.execute("PRAGMA synchronous=NORMAL")
            self.connection.execute("PRAGMA busy_timeout=5000")
        SQLModel.metadata.create_all(self.engine)

    @property
    def description(self) -> str:
        return str(self.path) if self.path is not None else "memory"

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Cursor]:
        """All statements inside commit together, or none of them does."""
        cursor = self.connection.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        try:
            yield cursor
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        cursor.execute("COMMIT")

    def close(self) -> None:
        self.connection.close()
        self.engine.dispose()
