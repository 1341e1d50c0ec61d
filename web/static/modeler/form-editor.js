// The form editor: the JSON of a form in CodeMirror (a plain textarea until it loads), checked as
// JSON on every change, with a live preview the server renders with the task page's own macros.
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('editor-data').textContent);
  var content = JSON.parse(document.getElementById('editor-content').textContent);
  var files = JSON.parse(document.getElementById('form-files').textContent);
  var box = document.getElementById('code');
  var textarea = document.getElementById('code-text');
  var errorBox = document.getElementById('json-error');
  var preview = document.getElementById('preview');
  var isUi = /uischema/i.test(data.name);
  var listeners = [];
  var timer = null;
  var editor = null;

  function value() { return editor ? editor.getValue() : textarea.value; }

  function csrfToken() {
    var headers = document.body.getAttribute('hx-headers');
    return headers ? JSON.parse(headers)['X-CSRFToken'] : '';
  }

  // The schema and UI schema pair the preview needs, with the one being edited taken live.
  function pair(text) {
    if (isUi) {
      var schemaName = data.name.replace(/\.uischema\.json$/i, '.json');
      return { schema: files[schemaName] || '{}', ui: text };
    }
    var uiName = box.getAttribute('data-ui-name');
    return { schema: text, ui: uiName ? files[uiName] : '' };
  }

  function check(text) {
    try {
      var parsed = JSON.parse(text);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        throw new Error('a form file must hold a JSON object');
      }
      errorBox.hidden = true;
      box.classList.remove('has-error');
      return true;
    } catch (e) {
      errorBox.textContent = e.message;
      errorBox.hidden = false;
      box.classList.add('has-error');
      return false;
    }
  }

  function refresh() {
    var text = value();
    listeners.forEach(function (fn) { fn(); });
    if (!check(text)) { return; }
    fetch(data.urls.preview, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrfToken() },
      body: JSON.stringify(pair(text))
    }).then(function (r) { return r.text(); }).then(function (html) {
      preview.innerHTML = html;
      preview.setAttribute('data-ready', 'true');
    });
  }

  function changed() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  }

  textarea.value = content;
  textarea.readOnly = !data.mayEdit;
  textarea.addEventListener('input', changed);
  if (window.EomsCode) {
    editor = window.EomsCode.create(textarea, { readOnly: !data.mayEdit, onChange: changed });
  }
  refresh();

  window.EomsEditor = {
    ready: Promise.resolve(),
    getContent: function () {
      var text = value();
      return check(text) ? Promise.resolve(text) : Promise.reject(new Error(errorBox.textContent));
    },
    setContent: function (text) { if (editor) { editor.setValue(text); } else { textarea.value = text; } changed(); },
    highlight: function () {},
    onChange: function (fn) { listeners.push(fn); }
  };
})();
