// CodeMirror 6 for the form editor's JSON (bundled into web/static/vendor/eoms-modeler/).
import { basicSetup, EditorView } from 'codemirror';
import { EditorState } from '@codemirror/state';
import { json, jsonParseLinter } from '@codemirror/lang-json';
import { linter, lintGutter } from '@codemirror/lint';

window.EomsCode = {
  // Replaces the textarea with an editor; returns {getValue, setValue}.
  create(textarea, options) {
    const view = new EditorView({
      state: EditorState.create({
        doc: textarea.value,
        extensions: [basicSetup, json(), linter(jsonParseLinter()), lintGutter(),
                     EditorState.readOnly.of(!!options.readOnly),
                     EditorView.updateListener.of((update) => { if (update.docChanged) { options.onChange(); } })]
      })
    });
    textarea.parentNode.insertBefore(view.dom, textarea);
    textarea.hidden = true;
    view.dom.setAttribute('data-editor', 'codemirror');
    return {
      view,
      getValue: () => view.state.doc.toString(),
      setValue: (text) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } })
    };
  }
};
