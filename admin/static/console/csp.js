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

// Accessible names Flask-Admin's list template gives only as a title (a row's checkbox, "select
// all") or not at all (a column's help icon, whose title the tooltip moves away): the same words,
// as aria-label, before the tooltip script runs (#20).
document.addEventListener('DOMContentLoaded', function () {
  var named = 'input[title]:not([aria-label]), a[title]:not([aria-label]), a[data-original-title]:not([aria-label])';
  document.querySelectorAll(named).forEach(function (el) {
    var words = el.getAttribute('title') || el.getAttribute('data-original-title');
    if (words && !(el.textContent || '').trim()) { el.setAttribute('aria-label', words); }
  });
});

// A table wider than a phone scrolls sideways in its own box (console/phone.css): one that
// scrolls, with no link or button inside to reach it by, is made focusable, so a keyboard can
// scroll it too (WCAG 2.1.1; axe's scrollable-region-focusable).
function focusableWhenScrolling() {
  document.querySelectorAll('#console-main table.table').forEach(function (table) {
    var scrolls = table.scrollWidth > table.clientWidth + 1;
    if (scrolls && !table.querySelector('a[href], button, input, select, textarea')) {
      table.setAttribute('tabindex', '0');
    } else if (table.getAttribute('tabindex') === '0') {
      table.removeAttribute('tabindex');
    }
  });
}
document.addEventListener('DOMContentLoaded', focusableWhenScrolling);
window.addEventListener('resize', focusableWhenScrolling);
