// The editors' toolbar: Validate, Save draft and Publish send the file being edited to the server,
// which merges it into the model's working copy and checks the whole bundle with the engine.
// Problems are listed; those of this file are highlighted in the editor (window.EomsEditor).
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('editor-data').textContent);
  var text = data.text;
  var statusBox = document.getElementById('editor-status');
  var panel = document.getElementById('problems');
  var list = panel.querySelector('.problem-list');
  var dirty = false;

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_m, name) { return values[name]; });
  }

  function csrfToken() {
    var headers = document.body.getAttribute('hx-headers');
    return headers ? JSON.parse(headers)['X-CSRFToken'] : '';
  }

  function status(message, kind) {
    if (!statusBox) { return; }
    statusBox.textContent = message;
    statusBox.className = 'editor-status' + (kind ? ' is-' + kind : '');
  }

  function editor() { return window.EomsEditor; }

  function showProblems(problems) {
    list.textContent = '';
    panel.hidden = !problems.length;
    var here = [];
    problems.forEach(function (p) {
      var item = document.createElement('li');
      item.className = 'problem';
      if (p.element_id) { item.setAttribute('data-element', p.element_id); }
      if (p.file) { item.setAttribute('data-file', p.file); }
      var where = document.createElement('span');
      where.className = 'problem-where';
      if (p.file && p.file !== data.name) {
        where.textContent = format(text.otherFile, { file: p.file }) + (p.element_id ? ' · ' + p.element_id : '');
      } else if (p.element_id) {
        var link = document.createElement('button');
        link.type = 'button';
        link.className = 'btn-link';
        link.textContent = p.element_id;
        link.addEventListener('click', function () { if (editor() && editor().select) { editor().select(p.element_id); } });
        where.appendChild(link);
      }
      var message = document.createElement('span');
      message.className = 'problem-message';
      message.textContent = p.message;
      item.appendChild(where);
      item.appendChild(message);
      list.appendChild(item);
      if ((!p.file || p.file === data.name) && p.element_id) { here.push(p.element_id); }
    });
    if (editor() && editor().highlight) { editor().highlight(here); }
  }

  function send(url, body) {
    return editor().getContent().then(function (content) {
      var files = {};
      files[data.name] = content;
      body.files = files;
      body.source = data.source;
      return fetch(url, {
        method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrfToken(), 'Accept': 'application/json' },
        body: JSON.stringify(body)
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (json) {
          return { status: response.status, json: json };
        });
      });
    });
  }

  function failure(result) {
    var error = (result.json && result.json.error) || {};
    if (result.status === 422 && Array.isArray(error.details) && error.details.length && error.details[0].message) {
      showProblems(error.details.filter(function (d) { return 'file' in d; }));
      status(format(text.invalid, { count: error.details.length }), 'error');
    } else if (result.status === 403) {
      status(text.forbidden + ' ' + (error.message || ''), 'error');
    } else {
      status(text.failed + ' ' + (error.message || ('HTTP ' + result.status)), 'error');
    }
  }

  function validate() {
    status(text.validating);
    return send(data.urls.validate, {}).then(function (result) {
      if (result.status !== 200) { return failure(result); }
      showProblems(result.json.problems);
      status(result.json.ok ? text.valid : format(text.invalidOnly, { count: result.json.problems.length }),
             result.json.ok ? 'ok' : 'error');
    }).catch(function (e) { status(text.failed + ' ' + e.message, 'error'); });
  }

  function save() {
    var scope = document.getElementById('draft-scope').value;
    status(text.validating);
    return send(data.urls.draft, { scope: scope }).then(function (result) {
      if (result.status !== 200) { return failure(result); }
      data.source = result.json.scope;
      dirty = false;
      var problems = result.json.validation.problems;
      showProblems(problems);
      status(problems.length ? format(text.savedInvalid, { count: problems.length }) : text.saved,
             problems.length ? 'warning' : 'ok');
    }).catch(function (e) { status(text.failed + ' ' + e.message, 'error'); });
  }

  function publish() {
    var message = document.getElementById('publish-message');
    if (!message.value.trim()) {
      status(text.needMessage, 'error');
      message.focus();
      return Promise.resolve();
    }
    status(text.validating);
    return send(data.urls.publish, { message: message.value }).then(function (result) {
      if (result.status !== 200 && result.status !== 201) { return failure(result); }
      showProblems([]);
      dirty = false;
      data.source = 'version';   // the draft became this version
      message.value = '';
      var done = result.status === 201 ? text.published : text.unchanged;
      status(format(done, { version: result.json.version }), 'ok');
      document.body.setAttribute('data-published-version', String(result.json.version));
    }).catch(function (e) { status(text.failed + ' ' + e.message, 'error'); });
  }

  function ready() {
    var validateButton = document.getElementById('validate-button');
    if (validateButton) {
      validateButton.addEventListener('click', validate);
      document.getElementById('save-button').addEventListener('click', save);
      document.getElementById('publish-button').addEventListener('click', publish);
    }
    if (editor() && editor().onChange) {
      editor().onChange(function () { dirty = true; });
    }
    window.addEventListener('beforeunload', function (event) {
      if (dirty && data.mayEdit) { event.preventDefault(); event.returnValue = text.unsaved; }
    });
  }

  window.EomsToolbar = { validate: validate, save: save, publish: publish, showProblems: showProblems };
  if (editor() && editor().ready) { editor().ready.then(ready, ready); } else { ready(); }
})();
