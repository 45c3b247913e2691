"""Opening the in-memory database beside the server's start rather than before it.

SQLAlchemy, under SQLModel, takes longer to import than everything else the
emulator loads together. With the default in-memory database nothing needs to be
read back from it, so the numbers are built from the fixtures at once and reads
are answered from them while a thread imports SQLAlchemy, creates the tables and
stores the seed. Whatever writes first waits for that thread.
"""

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.db import Database


class OpeningDatabase:
    """A database being opened by a thread; `result()` waits for it."""

    def __init__(self, open_database: Callable[[], "Database"]) -> None:
        self._open_database = open_database
        self._done = threading.Event()
        self._database: Database | None = None
        self._error: BaseException | None = None
        thread = threading.Thread(
            target=self._open, name="telnyx-emulator-database", daemon=True
        )
        thread.start()

    def _open(self) -> None:
        try:
            self._database = self._open_database()
        except BaseException as error:
            self._error = error
        finally:
            self._done.set()

    def result(self) -> "Database":
        self._done.wait()
        if self._error is not None:
            raise self._error
        assert self._database is not None
        return self._database
