"""What every part of the upload gate shares: the error type and configurable limits."""

from __future__ import annotations

import os

from geo.errors import InputError


class UploadError(InputError):
    """A file that cannot be taken at all; the message says why and what to do."""


def env_limit(name: str, default: int) -> int:
    """An integer limit from the environment variable ``name``, else ``default``."""
    try:
        value = int(os.environ.get(name, default))
    except ValueError:
        return default
    return value if value > 0 else default
