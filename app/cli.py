"""The `telnyx-emulator` command."""

import argparse
import logging
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from app import __version__
from app.seed import FixtureError
from app.settings import Settings

EXIT_OK = 0
EXIT_BAD_SETTINGS = 2
EXIT_BAD_FIXTURES = 3
EXIT_BAD_DATABASE = 4

logger = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="telnyx-emulator",
        description="A local, stateful emulator of Telnyx's Number Order Phone "
        "Numbers API. Every option can also be set with an environment variable "
        "TELNYX_EMULATOR_<OPTION> (e.g. TELNYX_EMULATOR_PORT=4010).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        argument_default=argparse.SUPPRESS,
    )
    add = parser.add_argument
    add("--version", action="version", version=f"telnyx-emulator {__version__}")
    add("--host", help="address to listen on (default 127.0.0.1)")
    add("--port", type=int, help="port to listen on (default 4010)")
    add("--fixtures", type=Path, help="folder of fixture *.json (default: shipped)")
    add(
        "--database",
        type=Path,
        help="SQLite file that keeps state across restarts (default: in memory)",
    )
    add("--reset", action="store_true", help="re-seed the --database from the fixtures")
    add(
        "--api-key",
        action="append",
        metavar="KEY",
        help="accept only this bearer token (repeatable; default: any non-empty one)",
    )
    add(
        "--log-level",
        choices=["critical", "error", "warning", "info", "debug"],
        help="log level (default info)",
    )
    add("--access-log", action="store_true", help="log one line per request")
    add("--control-token", help="require this bearer token on /_emulator (but health)")
    add("--journal-size", type=int, help="requests the journal keeps (default 1000)")
    add(
        "--auto-review",
        type=float,
        metavar="SECONDS",
        help="approve numbers that have been under review this long",
    )
    add(
        "--isolate-by-api-key",
        action="store_true",
        help="give each bearer token its own copy of the fixtures",
    )
    add("--max-isolated-copies", type=int, help="copies kept at most (default 64)")
    return parser


def database_problem(path: Path) -> str | None:
    """Why the SQLite file cannot be opened for writing, or None if it can."""
    try:
        connection = sqlite3.connect(path)
        try:
            connection.execute("CREATE TABLE IF NOT EXISTS probe_write (x)")
            connection.execute("DROP TABLE probe_write")
        finally:
            connection.close()
    except sqlite3.Error as error:
        return f"{path}: {error} (is its folder writable by this user?)"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    arguments = vars(build_parser().parse_args(argv))
    try:
        settings = Settings(**arguments)
    except ValidationError as error:
        for problem in error.errors():
            name = "--" + str(problem["loc"][0]).replace("_", "-")
            print(f"telnyx-emulator: {name}: {problem['msg']}", file=sys.stderr)
        return EXIT_BAD_SETTINGS

    if settings.database is not None:
        reason = database_problem(settings.database)
        if reason is not None:
            print(
                f"telnyx-emulator: cannot open the database: {reason}", file=sys.stderr
            )
            return EXIT_BAD_DATABASE

    from app.server import EmulatorServer

    try:
        server = EmulatorServer(settings, freeze_heap=True)
    except FixtureError as error:
        print(f"telnyx-emulator: cannot load the fixtures:\n{error}", file=sys.stderr)
        return EXIT_BAD_FIXTURES
    server.run()
    return EXIT_OK if server.started else 1


if __name__ == "__main__":
    sys.exit(main())
