"""Keep Python's cycle collector off the app's long-lived objects.

The server holds some 150,000 objects that live as long as the process (Streamlit,
pandas, GeoPandas, folium and their modules; the store's layers; the caches). Every rerun
allocates enough for the collector to run a full (oldest-generation) collection at its
end, and a full collection walks every one of them: 30 to 90 ms, during which the page's
messages wait, about a third of a date change on the Map at a million events (measured:
a "GC gen2 80 ms" between the script's end and the map's message leaving the server).

:func:`settle` moves the objects alive after a run into the collector's permanent
generation (:func:`gc.freeze`), so later full collections walk only what is new. It does
so again only when the oldest generation has grown by :data:`SETTLE_AT` objects (a new
event index, another page's modules), each time after one full collection of everything
(:func:`gc.unfreeze` first), so garbage among frozen objects is reclaimed then rather than
kept. Objects freed by reference counting (most of them) are freed as before.
"""

from __future__ import annotations

import gc
import threading

#: How many objects the collector's oldest generation may hold before :func:`settle`
#: freezes them (a full collection of this many takes a few milliseconds).
SETTLE_AT = 20_000
_LOCK = threading.Lock()  # the app's sessions run in threads


def settle() -> bool:
    """After a page has run: when the oldest generation holds :data:`SETTLE_AT` objects or
    more, collect everything once and freeze what is left. True when it did."""
    if len(gc.get_objects(generation=2)) < SETTLE_AT:
        return False
    with _LOCK:
        if len(gc.get_objects(generation=2)) < SETTLE_AT:  # another session just did
            return False
        gc.unfreeze()
        gc.collect()
        gc.freeze()
    return True
