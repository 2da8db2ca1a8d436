// The sign-in QR page at the door: its code changes every ten minutes (flows/engine/presence.py),
// so the page loads itself again every few minutes (a meta refresh fails WCAG's timing rule).
(function () {
  var seconds = parseInt(document.currentScript.getAttribute('data-seconds'), 10) || 300;
  setTimeout(function () { window.location.reload(); }, seconds * 1000);
})();
