"""What the command groups share: the store they open, option types and small formats."""

from __future__ import annotations

import argparse
import os
import sys

from geo.errors import InputError
from geo.output import atomic_output

PROG = "zonewatch"
AUTHOR_HELP = (
    "the name a write records as its author (default: the operating-system user); the "
    "history says which it was"
)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit status 2."""

    def error(self, message: str):  # noqa: D401 - argparse API
        raise InputError(f"{message} (see '{self.prog} --help')")


def _output_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        help="write to this file instead of standard output (replaced only on success)",
    )


def _author_option(parser: argparse.ArgumentParser) -> None:
    """``--author`` after a writing command too (the top-level option, not repeated there)."""
    parser.add_argument("--author", default=argparse.SUPPRESS, help=AUTHOR_HELP)


def _who(args) -> str:
    """The author of a write: ``--author`` or the operating-system user, saying which."""
    from geo.auth import cli_identity

    return cli_identity(getattr(args, "author", None))


def _store_path(path: str | None) -> str | None:
    """``--store PATH`` checked (a .gpkg file), or None when it was not given."""
    if path is not None and not path.lower().endswith(".gpkg"):
        raise InputError(f"--store must name a .gpkg file, got '{os.path.basename(path)}'")
    return path


def _open_store(path: str | None, seed: bool = True):
    """The store ``--store PATH`` names (the embedded one, whatever the environment says),
    else the one the environment configures (:func:`geo.store.open_store`)."""
    from geo.store import open_store

    store = open_store(path=_store_path(path), seed=seed)
    store.on_busy = _busy
    return store


def _busy(attempt: int, waited: float) -> None:
    if attempt == 1 or attempt % 20 == 0:
        print(
            f"{PROG}: the store is busy with another writer; retrying ({waited:.0f} s)",
            file=sys.stderr,
        )


def _whole(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"'{text}' must be 0 or more")
    return value


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not (0 < value < 5000):
        raise argparse.ArgumentTypeError(f"'{text}' must be between 0 and 5000 km")
    return value


def _km2(value: float, digits: int = 1) -> str:
    """An area in km² as text, as everywhere (:func:`geo.zones.km2`)."""
    from geo.zones import km2

    return km2(value, digits=digits)


def _day(value) -> str:
    """A date as YYYY-MM-DD, or "" when it is missing (None, NaT)."""
    return "" if value is None or value != value else f"{value:%Y-%m-%d}"


def _zone_id(versions, name: str) -> str:
    """The zone named by ``name``: its id, or its English or Arabic name (any case)."""
    key = name.strip().casefold()
    for col in ("zone_id", "name_en", "name_ar"):
        hits = versions.loc[versions[col].str.casefold() == key, "zone_id"].unique()
        if len(hits):
            return str(hits[0])
    known = ", ".join(sorted(versions["zone_id"].unique()))
    raise InputError(f"no zone '{name}'; the zones are: {known}")


def _write_lines(lines: list[str], output: str | None) -> None:
    with atomic_output(output) as out:
        out.writelines(line + "\n" for line in lines)


class StageProgress:
    """Progress on stderr. On a terminal: one line, rewritten in place. Otherwise (a log
    file, a pipe, a CI job): a line each time a stage passes another tenth, or when
    ``every`` seconds have gone by since its last line, so a log shows the work moving
    without thousands of lines; nothing in the first ``delay`` seconds (a small file's
    import, or a refusal, stays one line)."""

    def __init__(
        self, stream=None, step: float = 0.1, every: float = 30.0, delay: float = 1.0, clock=None
    ):
        import time

        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.step, self.every = step, every
        self.clock = clock or time.monotonic
        self._next: dict[str, float] = {}
        self._last = self._start = self.clock()
        self.delay = delay
        self._open = False

    def __call__(self, stage: str, fraction: float, detail: str = "") -> None:
        text = f"{PROG}: {stage}... {fraction:4.0%}" + (f" ({detail})" if detail else "")
        if self.tty:
            print(f"\r{text}   ", end="", file=self.stream, flush=True)
            self._open = True
            return
        now = self.clock()
        if now - self._start < self.delay:
            return
        if fraction >= self._next.get(stage, 0.0) or now - self._last >= self.every:
            print(text.replace(f"{fraction:4.0%}", f"{fraction:.0%}"), file=self.stream, flush=True)
            self._next[stage] = (int(fraction / self.step + 1e-9) + 1) * self.step
            self._last = now

    def end(self) -> None:
        """Close the terminal's progress line (before the summary)."""
        if self._open:
            print(file=self.stream)
            self._open = False
