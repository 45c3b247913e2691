"""The emulator's clock: real time, moved forward or set by tests."""

from datetime import UTC, datetime, timedelta


class Clock:
    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> datetime:
        self.offset += delta
        return self.now()

    def set(self, moment: datetime) -> datetime:
        self.offset = moment.astimezone(UTC) - datetime.now(UTC)
        return self.now()

    def restore(self) -> None:
        self.offset = timedelta()
