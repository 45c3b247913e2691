"""A local, stateful emulator of Telnyx's Number Order Phone Numbers API."""

__version__ = "0.1.0"
