"""The emulator's clock: real time, moved forward or set by tests."""

from datetime import UTC, datetime, timedelta

from app.errors import BadRequest

# Python's datetime ends at the years 1 and 9999. Keeping the clock centuries away
# from both leaves room for deadlines counted from it and for time to pass, so that
# no later request fails on a date out of range.
EARLIEST = datetime(1000, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def _out_of_range(pointer: str) -> BadRequest:
    return BadRequest(
        f"The clock can be moved within the years {EARLIEST.year} to "
        f"{LATEST.year - 1} only.",
        pointer=pointer,
    )


class Clock:
    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> datetime:
        """Move by `delta`; a move out of range raises and changes nothing."""
        try:
            moment = self.now() + delta
        except OverflowError:
            raise _out_of_range("/advance") from None
        if not EARLIEST <= moment < LATEST:
            raise _out_of_range("/advance")
        self.offset += delta
        return self.now()

    def set(self, moment: datetime) -> datetime:
        """Move to `moment`; a moment out of range raises and changes nothing."""
        if not EARLIEST <= moment < LATEST:
            raise _out_of_range("/set")
        self.offset = moment.astimezone(UTC) - datetime.now(UTC)
        return self.now()

    def restore(self) -> None:
        self.offset = timedelta()
