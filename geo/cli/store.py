"""``backup`` (the whole store to one new GeoPackage) and ``restore`` (a backup loaded
into the store, the file checked by the upload gate first)."""

from __future__ import annotations

from geo.cli.common import _author_option, _open_store, _who
from geo.errors import InputError


def add_parsers(sub) -> None:
    """The ``backup`` and ``restore`` commands."""
    bk = sub.add_parser("backup", help="write the whole store to one new GeoPackage file")
    bk.add_argument("path", metavar="PATH.gpkg")
    rs = sub.add_parser(
        "restore", help="load a backup into the store (adds what is missing; never overwrites)"
    )
    rs.add_argument("path", metavar="PATH.gpkg")
    _author_option(rs)


def _cmd_backup(args) -> int:
    from pathlib import Path

    target = Path(args.path)
    if target.suffix.lower() != ".gpkg":
        raise InputError(f"the backup must be a .gpkg file, got '{target.name}'")
    if target.exists():
        raise InputError(f"'{target.name}' exists already; choose a new file name")
    from geo.store.backup import backup

    counts = backup(_open_store(args.store), target)
    print(f"backup written to {target}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


def _cmd_restore(args) -> int:
    from pathlib import Path

    source = Path(args.path)
    if not source.is_file():
        raise InputError(f"'{args.path}' is not a file; give the path of a ZoneWatch backup")
    from geo.store.backup import restore
    from geo.uploads.backup import read_backup

    checked = read_backup(source)  # the upload gate: a wrong file is refused before any store
    counts = restore(_open_store(args.store, seed=False), checked, who=_who(args))
    print("restored: " + ", ".join(f"{k} +{v}" for k, v in counts.items()))
    return 0
