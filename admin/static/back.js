// "Back" links (busy.html): go back in history when there is one, else follow the link.
// A static file, because the Content-Security-Policy allows no inline script or javascript: URL.
document.addEventListener('click', function (event) {
  var link = event.target.closest && event.target.closest('a[data-back]');
  if (link && window.history.length > 1) {
    event.preventDefault();
    window.history.back();
  }
});
