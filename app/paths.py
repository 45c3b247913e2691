"""Where the default fixtures and openapi.yml are, from a checkout or a wheel."""

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def data_path(name: str) -> Path:
    """A file or folder shipped with the emulator (`fixtures`, `openapi.yml`).

    A wheel carries them in `app/_data/`; a checkout or an editable install has
    them at the top of the repository.
    """
    packaged = _PACKAGE_DIR / "_data" / name
    if packaged.exists():
        return packaged
    return _PACKAGE_DIR.parent / name


def default_fixtures_dir() -> Path:
    return data_path("fixtures")


def openapi_path() -> Path:
    return data_path("openapi.yml")
