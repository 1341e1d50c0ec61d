// The bundle the BPMN editor page loads (built by scripts/copy_vendor.mjs with esbuild into
// web/static/vendor/eoms-modeler/): bpmn-js Modeler, the properties panel, the spiffworkflow
// moddle extension and EOMS's properties provider.
import BpmnModeler from 'bpmn-js/lib/Modeler';
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from 'bpmn-js-properties-panel';
import spiffworkflow from './spiffworkflow.json';
import SpiffPropertiesProvider from './SpiffPropertiesProvider.jsx';

import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import 'bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css';
import '@bpmn-io/properties-panel/assets/properties-panel.css';

const SpiffPropertiesModule = {
  __init__: ['spiffPropertiesProvider'],
  spiffPropertiesProvider: ['type', SpiffPropertiesProvider]
};

// EOMS's groups start open: they hold what the engine needs.
const OPEN_GROUPS = {};
['eoms-lane', 'eoms-user-task', 'eoms-service-task', 'eoms-scripts', 'eoms-condition', 'eoms-timer',
 'eoms-message', 'eoms-call', 'eoms-decision'].forEach((id) => { OPEN_GROUPS[id] = { open: true }; });

// bpmn-js's own texts (palette, context pad, replace menu, stock panel groups) in the page's
// language: config.translations maps the English text to the translated one.
function translator(dict) {
  return function (template, replacements) {
    const values = replacements || {};
    const text = (dict && dict[template]) || template;
    return text.replace(/{([^}]+)}/g, (match, key) => (key in values ? values[key] : match));
  };
}

window.EomsBpmnModeler = function (canvas, panel, config) {
  return new BpmnModeler({
    container: canvas,
    propertiesPanel: { parent: panel, layout: { groups: OPEN_GROUPS } },
    additionalModules: [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, SpiffPropertiesModule,
                        { eomsConfig: ['value', config || {}],
                          translate: ['value', translator((config || {}).translations)] }],
    moddleExtensions: { spiffworkflow }
  });
};
