"""Keep Python's cycle collector off the app's long-lived objects.

The server holds some 150,000 objects that live as long as the process (Streamlit,
pandas, GeoPandas, folium and their modules; the store's layers; the caches). Every rerun
allocates enough for the collector to run a full (oldest-generation) collection at its
end, and a full collection walks every one of them: 30 to 90 ms, during which the page's
messages wait, about a third of a date change on the Map at a million events (measured:
a "GC gen2 80 ms" between the script's end and the map's message leaving the server).

:func:`settle` moves the objects alive after a run into the collector's permanent
generation (:func:`gc.freeze`), so later full collections walk only what is new. It does
so again whenever the oldest generation has grown by :data:`SETTLE_AT` objects (another
page's modules, new caches), after a collection of those only, a few milliseconds. Once
the frozen objects have grown to :data:`RECOLLECT_AT` times what they were at the last
collection of everything, it unfreezes them first (:func:`gc.unfreeze`) and collects
everything once (tens of milliseconds), so garbage among frozen objects (a reference
cycle kept in a cache entry since dropped, say) is reclaimed then rather than kept
forever. Objects freed by reference counting (most of them) are freed as before.
"""

from __future__ import annotations

import gc
import threading

#: How many objects the collector's oldest generation may hold before :func:`settle`
#: freezes them (a full collection of this many takes a few milliseconds).
SETTLE_AT = 20_000
#: How much the frozen objects may grow before :func:`settle` collects everything again.
RECOLLECT_AT = 2.0
_LOCK = threading.Lock()  # the app's sessions run in threads
_FROZEN_AT_FULL = [0]  # the frozen objects after the last collection of everything


def settle() -> bool:
    """After a page has run: when the oldest generation holds :data:`SETTLE_AT` objects or
    more, collect them and freeze what is left (everything, unfrozen first, once the frozen
    objects have grown :data:`RECOLLECT_AT` times). True when it did."""
    if len(gc.get_objects(generation=2)) < SETTLE_AT:
        return False
    with _LOCK:
        if len(gc.get_objects(generation=2)) < SETTLE_AT:  # another session just did
            return False
        last = _FROZEN_AT_FULL[0]
        everything = not last or gc.get_freeze_count() > RECOLLECT_AT * last
        if everything:
            gc.unfreeze()
        gc.collect()
        gc.freeze()
        if everything:
            _FROZEN_AT_FULL[0] = gc.get_freeze_count()
    return True
