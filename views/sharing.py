"""Sharing a view: the address holds it, and a control copies the address.

Widgets bound to the address (``bind=URL``) keep the view in the page's URL, so a link
restores it; :mod:`views.links` checks a link's values before any widget reads them.
"""

from __future__ import annotations

import streamlit as st

#: Widgets bound to the URL: the view state lives in the address, so a link restores it.
URL = "query-params"


# Runs in the page itself (not an iframe): our own fixed code, no data in it. The address
# holds every bound widget, the map's view and the page; the button copies it, and the
# field shows it for copying by hand where the clipboard is not allowed.
_SHARE_HTML = """
<div class="zw-share">
  <button type="button" id="zw-copy-link" style="font:inherit;font-size:14px;padding:4px 12px;
    border:1px solid rgba(49,51,63,.25);border-radius:8px;background:#fff;cursor:pointer">
    Copy link to this view</button>
  <input id="zw-link" type="text" readonly hidden aria-label="Link to this view"
    style="width:100%;margin-top:6px;font-size:12px;padding:3px">
  <div id="zw-copy-status" role="status" style="font-size:12px;color:#555"></div>
</div>
<script>
(function () {
  var button = document.getElementById('zw-copy-link');
  if (!button || button.dataset.ready) return;
  button.dataset.ready = '1';
  var field = document.getElementById('zw-link');
  var status = document.getElementById('zw-copy-status');
  button.addEventListener('click', function () {
    field.value = window.location.href;
    field.hidden = false;
    field.select();
    var done = function () { status.textContent = 'Copied.'; };
    var manual = function () { status.textContent = 'Select the link above and copy it.'; };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(field.value).then(done, manual);
    } else {
      manual();
    }
  });
})();
</script>
"""


def share_link() -> None:
    """The "copy link" control: the page's address holds the whole view."""
    st.subheader("Share")
    st.html(_SHARE_HTML, unsafe_allow_javascript=True)
