// The "Copy link to this view" button (views: share_link), run in the page itself: the
// page's address holds every bound widget, the map's view and the page. The button copies
// it, and the field shows it for copying by hand where the clipboard is not allowed.
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
