// 长辈版 (elder mode), in a static file because the Content-Security-Policy allows no inline script.
// 1. Read-aloud: the page's main text through the browser's own speech synthesis (no service
//    outside the phone). The button shows only where the browser can speak.
// 2. One task per screen: a form marked `data-screens` shows one <fieldset class="screen"> at a
//    time, with 下一步 / 上一步; without this script every screen shows at once and the form
//    still works. A screen with an error (the server's answer) opens first.
(function () {
  'use strict';

  function readAloud() {
    var button = document.getElementById('read-aloud');
    if (!button || !('speechSynthesis' in window) || typeof SpeechSynthesisUtterance === 'undefined') {
      return;
    }
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener('click', function () {
      if (window.speechSynthesis.speaking) {
        window.speechSynthesis.cancel();
        button.textContent = label;
        return;
      }
      var main = document.getElementById('main');
      var utterance = new SpeechSynthesisUtterance((main ? main.innerText : document.body.innerText).trim());
      utterance.lang = document.documentElement.lang || 'zh-CN';
      utterance.rate = 0.9;
      utterance.onend = utterance.onerror = function () { button.textContent = label; };
      button.textContent = button.getAttribute('data-stop');
      window.speechSynthesis.speak(utterance);
    });
  }

  // 下一步 stops on a screen whose required field is empty, says so by the field and puts the
  // cursor there: before, the wizard went on and the server sent the person back from the last
  // screen to the first. (Required fields carry aria-required, as _fields.html writes them.)
  function filled(screen) {
    var form = screen.closest('form');
    var empty = Array.prototype.slice.call(screen.querySelectorAll('[aria-required="true"]')).filter(function (el) {
      return (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT') && el.type !== 'file' &&
        el.type !== 'radio' && el.type !== 'checkbox' && !String(el.value || '').trim();
    });
    screen.querySelectorAll('.error.missing').forEach(function (note) { note.remove(); });
    empty.forEach(function (el) {
      var note = document.createElement('p');
      note.className = 'error missing';
      note.id = 'missing-' + el.id;
      note.setAttribute('role', 'alert');
      note.textContent = form.getAttribute('data-missing') || '';
      el.setAttribute('aria-invalid', 'true');
      el.insertAdjacentElement('afterend', note);
    });
    if (empty.length) { empty[0].focus(); }
    return !empty.length;
  }

  function screens(form) {
    var all = Array.prototype.slice.call(form.querySelectorAll('fieldset.screen'));
    if (all.length < 2) {
      return;
    }
    function show(index) {
      all.forEach(function (screen, i) { screen.hidden = i !== index; });
      var heading = all[index].querySelector('legend');
      var first = all[index].querySelector('input:not([type=hidden]), select, textarea');
      (first || heading || all[index]).focus();
      form.setAttribute('data-screen', String(index + 1));
    }
    all.forEach(function (screen, i) {
      screen.querySelectorAll('.screen-nav').forEach(function (nav) { nav.hidden = false; });
      var next = screen.querySelector('.next-screen');
      var prev = screen.querySelector('.prev-screen');
      if (next) { next.addEventListener('click', function () { if (filled(screen)) { show(i + 1); } }); }
      if (prev) { prev.addEventListener('click', function () { show(i - 1); }); }
    });
    var failed = all.findIndex(function (screen) { return screen.querySelector('.has-error'); });
    show(failed >= 0 ? failed : 0);
  }

  document.addEventListener('DOMContentLoaded', function () {
    readAloud();
    document.querySelectorAll('form[data-screens]').forEach(screens);
  });
})();
