// A photo over its field's size limit is refused on the phone, before the form is sent: sent,
// the server can only answer 413 and the typed hours and notes would be gone. The limit and
// the sentence come from the page (data-max-bytes, data-too-big), so they stay translated.
document.addEventListener('change', function (event) {
  var input = event.target;
  if (!input.matches || !input.matches('input[type=file][data-max-bytes]')) return;
  var limit = parseInt(input.getAttribute('data-max-bytes'), 10);
  var note = input.parentNode.querySelector('.upload-too-big');
  if (note) note.remove();
  var file = input.files && input.files[0];
  if (file && limit && file.size > limit) {
    input.value = '';
    note = document.createElement('p');
    note.className = 'error upload-too-big';
    note.setAttribute('role', 'alert');
    note.textContent = input.getAttribute('data-too-big');
    input.insertAdjacentElement('afterend', note);
  }
});
