"""Reading a data file as a UTF-8 CSV of text cells, with a clear error when it is not one."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geo.errors import DataFileError


def read_text_csv(path: str | Path, file: str | None = None) -> pd.DataFrame:
    """Read ``path`` as a UTF-8 CSV with a header row, every cell as text (an empty cell
    is ``""``). A file that cannot be read so raises :class:`DataFileError` naming ``file``
    (default: the file's name)."""
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataFileError(
            file or Path(path).name, f"cannot be read as a UTF-8 CSV ({exc.__class__.__name__})"
        ) from exc
