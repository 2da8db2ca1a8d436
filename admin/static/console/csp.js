// The console under a Content-Security-Policy that runs no inline script: what Flask-Admin's
// templates did in onclick="…" is done here, from data attributes (admin/templates/admin/).
document.addEventListener('click', function (event) {
  var target = event.target;
  if (!target.closest) { return; }
  // "javascript:void(0)" links are placeholders; following one would only be refused.
  if (target.closest('a[href^="javascript:"]')) { event.preventDefault(); }
  var action = target.closest('[data-model-action]');
  if (action) {
    event.preventDefault();
    window.modelActions.execute(action.getAttribute('data-model-action'));
    return;
  }
  var confirmed = target.closest('[data-confirm]');
  if (confirmed && !window.confirm(confirmed.getAttribute('data-confirm'))) { event.preventDefault(); }
}, true);
