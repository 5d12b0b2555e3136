"""Matches: the records of different datasets that likely describe the same event, as the
last build stored them; review each link side by side with a small map, accept or reject
it. Decisions are versioned (who, when) and survive a new build.

The logic is :mod:`geo.matching.review` (order, states, the side-by-side table, the map's
layers) and :mod:`geo.matching.stored` (the build, counting once); the store checks the
rights of every write again (geo.auth), whatever this page shows.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo import auth
from geo.errors import ZoneWatchError
from geo.matching import review, stored
from geo.render import shapes_map
from geo.wording import count
from views.auth import identity
from views.data import PLACE_ATTRIBUTION, counted_in_store, matches_or_stop, stop_on_error
from views.page import page_start, static_map
from views.shell import page_setup
from views.text import plain

page_setup("Matches")

KEY_SHOW = "matches_show"
KEY_ORDER = "matches_order"
KEY_PAGE = "matches_page"
KEY_PICK = "matches_pick"
KEY_NOTE = "matches_note"
KEY_DONE = "matches_done"  # the last write's message, shown once after the rerun
ALL = "all"

store, revision, data = page_start(
    "Matches",
    "Records of different datasets (UCDP, ACLED, curated, your own) that likely describe the "
    "same event: found by the matcher from their dates, places, types and actors, each with "
    "a score and its reasons. Review them here: accept or reject a link. A rejected link "
    "never joins two records when each event is counted once (the filter in the sidebar of "
    "the Map, Events and reports); decisions are kept, with who and when, across builds.",
)
who = identity()
if done := st.session_state.pop(KEY_DONE, None):
    st.success(done)


def _why_not(action: str) -> str:
    """Why ``who`` may not do ``action`` (what :func:`geo.auth.require` says)."""
    try:
        auth.require(who, action)
    except ZoneWatchError as exc:
        return plain(exc)
    return ""


def _build() -> None:
    """Run the matcher over every stored event and store its links, with progress."""
    bar = st.progress(0.0, text="Matching...")

    def progress(fraction: float, message: str = "") -> None:
        bar.progress(min(max(float(fraction), 0.0), 1.0), text=f"Matching: {message}")

    try:
        result = stored.build(store, who=who, progress=progress)
    except ZoneWatchError as exc:
        bar.empty()
        st.error(f"The matches were not built: {plain(exc)}")
        return
    st.session_state[KEY_DONE] = plain(_built(result))
    st.rerun()


def _built(result) -> str:
    """The build's result in words."""
    if isinstance(result, dict) and "links" in result:
        return f"Matches built: {count(int(result['links']), 'link')} stored."
    return "Matches built."


matches = matches_or_stop(revision)
links, decisions, builds = matches["links"], matches["decisions"], matches["builds"]

st.subheader("Last build")
summary = review.last_build(builds)
st.markdown(plain(summary) if summary else "No matches are stored yet.")
if summary:
    counted, records = counted_in_store(revision)
    st.markdown(f"The whole store: **{review.counted_note(counted, records)}**.")
if who.may(auth.MATCH_BUILD):
    if st.button(
        "Build the matches" if builds.empty else "Build the matches again",
        key="matches_build",
        help="Match every stored event (minutes for a million events, with progress). The "
        "links replace the last build's; decisions are kept.",
    ):
        _build()
else:
    st.caption(f"Only editors build the matches: {_why_not(auth.MATCH_BUILD)}.")
if links.empty:
    st.info(review.how_to_build(summary, who.may(auth.MATCH_BUILD)))
    st.stop()

# --- the list -------------------------------------------------------------------------
st.subheader("Links")
c1, c2, c3 = st.columns([2, 2, 1])
show = c1.radio("Show", [ALL, *review.STATES], horizontal=True, key=KEY_SHOW)
order = c2.selectbox("Order", list(review.ORDERS), key=KEY_ORDER)


@st.cache_resource(max_entries=4, show_spinner="Listing the matches...")
def _listed(revision: str, show: str, order: str):
    """The links in ``show`` state, in ``order``: once per store revision and choice."""
    found = matches_or_stop(revision)
    state = review.with_state(found["links"], found["decisions"])
    return review.review_order(review.only(state, None if show == ALL else show), order)


listed = _listed(revision, show, order)
pages = review.page_count(len(listed))
st.session_state[KEY_PAGE] = min(max(1, int(st.session_state.get(KEY_PAGE, 1))), pages)
number = int(c3.number_input("Page", min_value=1, step=1, key=KEY_PAGE))
rows = review.page(listed, number)
st.caption(
    f"{len(listed):,} of {count(len(links), 'link')} ({show}), page {number:,} of {pages:,}; "
    f"{review.PAGE_SIZE} a page. "
    + {
        review.MIXED: "The best and the most doubtful first, the middle last.",
        review.BEST: "Highest score first.",
        review.DOUBTFUL: "Lowest score first: nearest the threshold.",
    }[order]
)
if rows.empty:
    st.info(f"No {show} links.")
    st.stop()
st.dataframe(
    review.list_table(rows),
    hide_index=True,
    width="stretch",
    key="matches_list",
    column_config={
        "score": st.column_config.NumberColumn(format="%.3f"),
        "reasons": st.column_config.TextColumn(width="large"),
    },
)

# --- one link -------------------------------------------------------------------------
keys = rows["link_key"].tolist()
if st.session_state.get(KEY_PICK) not in keys:
    st.session_state[KEY_PICK] = keys[0]
by_key = rows.set_index("link_key")
pick = st.selectbox(
    "Review the link",
    keys,
    format_func=lambda k: review.label(by_key.loc[k]),
    key=KEY_PICK,
)
link = by_key.loc[pick].to_dict() | {"link_key": pick}


def _record(fid) -> dict | None:
    """The stored record with row id ``fid`` (None when it is not in the store)."""
    if fid is None or pd.isna(fid):  # the record is not in the store
        return None
    with stop_on_error("The records could not be read"):
        found = store.events_by_fids([int(fid)]).reset_index()
    return found.iloc[0].to_dict() if len(found) else None


a, b = _record(link.get("a_fid")), _record(link.get("b_fid"))
st.markdown(
    f"**Score {float(link['score']):.3f}** · {plain(link['state'])} · "
    + " · ".join(plain(r) for r in review.reasons_list(link.get("reasons")))
)
# a table, not a grid: long places and sources wrap within the page's width
st.table(review.side_by_side(link, a, b), hide_index=True)
st.caption(
    "Each record at its position, within the area its location precision stands for "
    "(dashed), and the line between them."
)
static_map(
    shapes_map(
        data["admin0"],
        review.pair_shapes(link, a, b),
        places=data["places"],  # labelled as on the Map
        place_attribution=PLACE_ATTRIBUTION,
        legend="This link",
        fit_zoom=review.PAIR_ZOOM,  # both records and the towns around them
    ),
    key=f"matches_map_{pick}",
    height=460,  # room for the layer control and the legend, both open
)


def _decide(decision: str, note: str) -> None:
    """Store the decision on this link with the signed-in identity (checked again there)."""
    try:
        version = store.add_match_decision(pick, decision, who=who, note=note.strip())
    except ZoneWatchError as exc:
        st.error(f"Nothing was saved: {plain(exc)}")
        return
    word = review.ACCEPTED if decision == "accept" else review.REJECTED
    st.session_state[KEY_DONE] = plain(
        f"{link['a_dataset']}:{link['a_id']} ↔ {link['b_dataset']}:{link['b_id']}: {word} "
        f"(version {version}, by {who.author})."
    )
    st.rerun()


if who.may(auth.REVIEW):
    with st.form("matches_decide", clear_on_submit=True):
        note = st.text_input("Note (optional)", max_chars=2000, key=KEY_NOTE)
        d1, d2, _ = st.columns([1, 1, 4])
        accept = d1.form_submit_button("Accept", type="primary")
        reject = d2.form_submit_button("Reject")
        st.caption(f"Saved as decided by **{plain(who.author)}**.")
    if accept or reject:
        _decide("accept" if accept else "reject", note)
else:
    st.caption(f"Only editors accept or reject links: {_why_not(auth.REVIEW)}.")

st.markdown("**Decisions on this link**")
past = review.history(decisions, pick)
if past.empty:
    st.caption("None yet: the link counts as the matcher found it.")
else:
    st.dataframe(
        past,
        hide_index=True,
        width="stretch",
        key="matches_history",
        column_config={"at": st.column_config.TextColumn("when (UTC)")},
    )
