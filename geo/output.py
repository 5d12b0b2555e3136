"""All-or-nothing output for commands that write a file or standard output.

A command that fails half way must leave no half-written result behind: not a truncated
``zones.geojson`` after ``> zones.geojson``, not a broken file named by ``--output``.
:func:`atomic_output` gives the command a text file to write to, and only when the
``with`` block ends without an exception is the result made visible:

- with a path (``--output PATH``): the text goes to a temporary file next to ``PATH``,
  which is then renamed onto ``PATH`` (``os.replace``, atomic on one file system); an
  existing ``PATH`` is kept as it was when the command fails;
- without a path (standard output): the text goes to a temporary spool (in memory up to
  ``spool_mb``, then on disk, so memory stays bounded for large streamed exports) and is
  copied to standard output at the end; on failure nothing at all is printed.

Usage (stream as many chunks as you like inside the block)::

    from geo.output import atomic_output

    with atomic_output(args.output) as out:      # None: standard output
        for chunk in chunks:
            chunk.to_csv(out, header=first, index=False)

Nothing here imports pandas, so it costs nothing at start-up.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from geo.errors import InputError

#: text kept in memory before the standard-output spool moves to a temporary file
SPOOL_MB = 16


@contextmanager
def atomic_output(
    path: str | os.PathLike | None = None,
    *,
    stdout: IO[str] | None = None,
    spool_mb: int = SPOOL_MB,
) -> Iterator[IO[str]]:
    """A UTF-8 text file to write the whole result to; see the module's docstring.

    ``path`` None means standard output (``stdout``, default ``sys.stdout``). Raises
    :class:`~geo.errors.InputError` when ``path`` is a folder or its folder is missing or
    not writable (before anything is computed into it).
    """
    if path is None:
        with tempfile.SpooledTemporaryFile(
            max_size=spool_mb * 1024 * 1024, mode="w+", encoding="utf-8", newline=""
        ) as spool:
            yield spool
            spool.seek(0)
            target = stdout if stdout is not None else sys.stdout
            shutil.copyfileobj(spool, target, 1 << 20)
            target.flush()
        return
    target_path = Path(path)
    if target_path.is_dir():
        raise InputError(f"--output '{path}' is a folder; give a file name")
    folder = target_path.parent
    try:
        fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{target_path.name}.", suffix=".tmp")
    except OSError as exc:
        raise InputError(
            f"cannot write to the folder of --output '{path}' ({exc.strerror}); "
            "choose a folder that exists and that you can write to"
        ) from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # as a plain open() would have made it
        os.replace(tmp, target_path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
