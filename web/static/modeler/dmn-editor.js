// Decision tables in dmn-js's Modeler. Opens the first decision table (not the DRD), so a
// threshold is one click away.
(function () {
  'use strict';
  var box = document.getElementById('canvas');
  var data = JSON.parse(document.getElementById('editor-data').textContent);
  var content = JSON.parse(document.getElementById('editor-content').textContent);
  var fallback = box.querySelector('.diagram-fallback');
  // Cells are Python in SpiffWorkflow: make Python the default language, so cells open in a plain
  // text editor rather than a FEEL one and no FEEL expressionLanguage is written.
  var python = { label: 'Python', value: 'python' };
  var texts = JSON.parse(document.getElementById('dmn-text').textContent);
  function translate(template, replacements) {
    var values = replacements || {};
    return (texts[template] || template).replace(/{([^}]+)}/g, function (match, key) {
      return key in values ? values[key] : match;
    });
  }
  // Per view: dmn-js merges `common` into each view's options but replaces its additionalModules.
  var translated = { additionalModules: [{ translate: ['value', translate] }] };
  var modeler = new window.DmnJS({ container: box, drd: translated, decisionTable: translated,
    literalExpression: translated, common: {
    keyboard: { bindTo: document },
    expressionLanguages: { options: [python], defaults: { editor: 'python', inputCell: 'python', outputCell: 'python' } }
  } });
  var listeners = [];

  var ready = modeler.importXML(content).then(function () {
    var table = modeler.getViews().filter(function (v) { return v.type === 'decisionTable'; })[0];
    return table ? modeler.open(table) : null;
  }).then(function () {
    fallback.hidden = true;
    box.setAttribute('data-ready', 'true');
    modeler.on('views.changed', function () { box.setAttribute('data-view', modeler.getActiveView().type); });
    var viewer = modeler.getActiveViewer();
    if (viewer) {
      viewer.on('elements.changed', function () { listeners.forEach(function (fn) { fn(); }); });
    }
  }).catch(function (error) {
    fallback.hidden = false;
    fallback.textContent = box.getAttribute('data-error') + ' ' + error.message;
  });

  // Problem cells are outlined by a style rule on their data-element-id, which survives the
  // table re-rendering its cells.
  var style = document.createElement('style');
  style.id = 'eoms-problem-style';
  document.head.appendChild(style);

  function highlight(ids) {
    style.textContent = ids.map(function (id) {
      return '.dmn-canvas [data-element-id="' + CSS.escape(id) + '"]';
    }).join(',\n') + (ids.length ? ' { outline: 3px solid #b42318; outline-offset: -3px; background: #fbd9d5; }' : '');
    box.setAttribute('data-problems', ids.join(' '));
  }

  window.EomsEditor = {
    ready: ready,
    modeler: modeler,
    mayEdit: data.mayEdit,
    getContent: function () { return modeler.saveXML({ format: true }).then(function (r) { return r.xml; }); },
    highlight: highlight,
    onChange: function (fn) { listeners.push(fn); }
  };
})();
