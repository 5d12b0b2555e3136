"""Offline map assets, served by the app: Leaflet and Leaflet.draw from pinned Python
packages, and ZoneWatch's own browser code (``geo/static/zonewatch``: the JavaScript that
draws every layer, and one stylesheet).

Streamlit serves the folder ``static/`` beside ``app.py`` at ``/app/static/``
(``[server] enableStaticServing``). :func:`install_static` copies Leaflet there from
the installed ``xstatic-leaflet`` package, and ZoneWatch's files from this package (its
scripts also joined into one file, the one a map loads), so no asset is fetched from a CDN
and no third-party JavaScript is committed to the repository.
:func:`inline_assets` puts all of them into one standalone HTML file instead.
"""

from __future__ import annotations

import filecmp
import hashlib
import re
import shutil
import sys
from importlib.metadata import distribution
from pathlib import Path

import xstatic.pkg.leaflet as xs_leaflet

#: URL under which ``static/`` is served (root-relative: the map iframe is same-origin).
STATIC_URL = "/app/static"
VENDOR = "vendor"

#: (package data folder, name under static/vendor, files and folders to copy)
# Leaflet.draw (for drawing zones) comes from django-leaflet's package data, found without
# importing the package (which would import Django).
_DRAW_DIR = Path(str(distribution("django-leaflet").locate_file("leaflet/static/leaflet/draw")))
PACKAGES = [
    (Path(xs_leaflet.BASE_DIR), "leaflet", ("leaflet.js", "leaflet.css", "images")),
    (_DRAW_DIR, "leaflet-draw", ("leaflet.draw.js", "leaflet.draw.css", "images")),
]

LEAFLET_JS = f"{STATIC_URL}/{VENDOR}/leaflet/leaflet.js"
LEAFLET_CSS = f"{STATIC_URL}/{VENDOR}/leaflet/leaflet.css"
LEAFLET_DRAW_JS = f"{STATIC_URL}/{VENDOR}/leaflet-draw/leaflet.draw.js"
LEAFLET_DRAW_CSS = f"{STATIC_URL}/{VENDOR}/leaflet-draw/leaflet.draw.css"

#: ZoneWatch's own browser code: its source folder, where it is served, and the scripts in
#: the order a page loads them (each adds to ``window.zw``; core.js first).
ZONEWATCH_DIR = Path(__file__).resolve().parent / "static" / "zonewatch"
ZONEWATCH = "zonewatch"
ZONEWATCH_SCRIPTS = (
    "core.js",
    "style.js",
    "decode.js",
    "contract.js",
    "layers.js",
    "playback.js",
    "events.js",
    "legend.js",
    "share.js",
)
ZONEWATCH_STYLESHEET = "zonewatch.css"
#: The scripts above joined into one file, written beside them in ``static/zonewatch`` by
#: :func:`install_static` (never kept in the source folder): a map loads it in one request.
#: (streamlit-folium loads a map's scripts one after another, each waiting for the last.)
ZONEWATCH_BUNDLE = "bundle.js"


def bundle_source() -> str:
    """The text of :data:`ZONEWATCH_BUNDLE`: ZoneWatch's scripts in their order, each
    marked with its file's name (each is a self-contained ``(function () {...})();``)."""
    parts = []
    for name in ZONEWATCH_SCRIPTS:
        code = (ZONEWATCH_DIR / name).read_text(encoding="utf-8")
        parts.append(f"// ---- {name} ----\n{code.rstrip()}\n;\n")
    return "".join(parts)


_BUNDLE = bundle_source()


def _versioned(name: str, data: bytes | None = None) -> str:
    """The URL of one of ZoneWatch's files, with its content's hash: a browser never keeps
    an old copy after the file changes."""
    data = (ZONEWATCH_DIR / name).read_bytes() if data is None else data
    digest = hashlib.sha256(data).hexdigest()[:12]
    return f"{STATIC_URL}/{ZONEWATCH}/{name}?v={digest}"


#: (name, URL) of ZoneWatch's script (the bundle) and stylesheet, as folium elements list
#: them.
ZONEWATCH_JS = [("zw_bundle", _versioned(ZONEWATCH_BUNDLE, _BUNDLE.encode("utf-8")))]
ZONEWATCH_CSS = [("zw_css", _versioned(ZONEWATCH_STYLESHEET))]


def static_source(name: str) -> str:
    """The text of one of ZoneWatch's browser files (for code a page runs in itself)."""
    return (ZONEWATCH_DIR / name).read_text(encoding="utf-8")


def _copy(src: Path, dst: Path) -> bool:
    if src.is_dir():
        changed = False
        for child in src.iterdir():
            changed |= _copy(child, dst / child.name)
        return changed
    if dst.exists() and filecmp.cmp(src, dst, shallow=False):
        return False
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(dst.name + ".tmp")
    shutil.copyfile(src, tmp)
    tmp.replace(dst)  # atomic: a browser never gets half a file
    return True


def install_static(static_dir: Path) -> bool:
    """Copy the vendored assets into ``static_dir/vendor`` and ZoneWatch's own into
    ``static_dir/zonewatch``; return True if anything changed."""
    changed = False
    for base, name, members in PACKAGES:
        for member in members:
            changed |= _copy(base / member, static_dir / VENDOR / name / member)
    changed |= _copy(ZONEWATCH_DIR, static_dir / ZONEWATCH)
    changed |= _write(static_dir / ZONEWATCH / ZONEWATCH_BUNDLE, _BUNDLE.encode("utf-8"))
    return changed


def _write(dst: Path, data: bytes) -> bool:
    """Write ``data`` to ``dst`` unless it holds them already (atomically, as _copy)."""
    if dst.exists() and dst.read_bytes() == data:
        return False
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(dst.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(dst)
    return True


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("static")
    install_static(target)
    print(f"offline assets ready in {target / VENDOR} and {target / ZONEWATCH}")


def _asset_files() -> dict[str, Path]:
    """URL under STATIC_URL -> the installed file it is copied from (files only)."""
    files = {}
    for base, name, members in PACKAGES:
        for member in members:
            if (base / member).is_file():
                files[f"{STATIC_URL}/{VENDOR}/{name}/{member}"] = base / member
    for _, url in ZONEWATCH_CSS:
        files[url] = ZONEWATCH_DIR / url.rsplit("/", 1)[1].split("?")[0]
    return files


def _inline_css(path: Path) -> str:
    """A stylesheet with its ``url(images/...)`` replaced by data URIs."""
    import base64

    def data_uri(match: re.Match) -> str:
        image = path.parent / match.group(1)
        if not image.is_file():
            return "none"
        encoded = base64.b64encode(image.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{encoded})"

    return re.sub(r"url\((images/[\w.-]+\.png)\)", data_uri, path.read_text(encoding="utf-8"))


def inline_assets(page: str) -> str:
    """A rendered map page with the app's Leaflet script and stylesheet inlined: one file
    that needs neither the app nor a network. Raises ValueError if a script or stylesheet
    of ours is left referenced."""
    scripts = {url: _BUNDLE for _, url in ZONEWATCH_JS}  # the bundle has no source file
    for url, path in _asset_files().items():
        if path.suffix == ".js":
            scripts[url] = path.read_text(encoding="utf-8")
        elif path.suffix == ".css":
            css = _inline_css(path).replace("</style", "<\\/style")
            page = page.replace(f'<link rel="stylesheet" href="{url}"/>', f"<style>{css}</style>")
    for url, code in scripts.items():
        code = code.replace("</script", "<\\/script")
        page = page.replace(f'<script src="{url}"></script>', f"<script>{code}</script>")
    # only markup counts: the data in the page may well mention the same path as text
    if re.search(r"""(?:src|href)\s*=\s*["']?""" + re.escape(STATIC_URL), page):
        raise ValueError("the map still refers to a file served by the app")
    return page
