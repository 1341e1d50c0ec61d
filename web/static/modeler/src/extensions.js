// Reading and writing spiffworkflow:* extension elements through bpmn-js commands (undoable).
import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';

export function extensionOf(bo, type) {
  const ext = bo && bo.get('extensionElements');
  return ext ? (ext.get('values') || []).find((v) => is(v, type)) : undefined;
}

function ensureExtensions(element, bo, bpmnFactory, modeling) {
  let ext = bo.get('extensionElements');
  if (!ext) {
    ext = bpmnFactory.create('bpmn:ExtensionElements', { values: [] });
    ext.$parent = bo;
    modeling.updateModdleProperties(element, bo, { extensionElements: ext });
  }
  return ext;
}

// Set (or remove, for an empty value) the body text of a spiffworkflow:<type> extension.
export function setBodyExtension(element, type, value, bpmnFactory, modeling, bo) {
  bo = bo || getBusinessObject(element);
  const existing = extensionOf(bo, type);
  const empty = value === undefined || value === null || value === '';
  if (existing) {
    const ext = bo.get('extensionElements');
    if (empty) {
      modeling.updateModdleProperties(element, ext, { values: ext.get('values').filter((v) => v !== existing) });
    } else {
      modeling.updateModdleProperties(element, existing, { value });
    }
    return;
  }
  if (empty) { return; }
  const ext = ensureExtensions(element, bo, bpmnFactory, modeling);
  const created = bpmnFactory.create(type, { value });
  created.$parent = ext;
  modeling.updateModdleProperties(element, ext, { values: [...ext.get('values'), created] });
}

export function bodyExtension(element, type, bo) {
  const found = extensionOf(bo || getBusinessObject(element), type);
  return found ? found.get('value') : '';
}

// spiffworkflow:properties / spiffworkflow:property name="..." value="..."
export function getProperty(element, name) {
  const props = extensionOf(getBusinessObject(element), 'spiffworkflow:Properties');
  const found = props ? (props.get('properties') || []).find((p) => p.get('name') === name) : undefined;
  return found ? found.get('value') : '';
}

export function setProperty(element, name, value, bpmnFactory, modeling) {
  const bo = getBusinessObject(element);
  let props = extensionOf(bo, 'spiffworkflow:Properties');
  const empty = value === undefined || value === null || value === '';
  if (!props) {
    if (empty) { return; }
    const ext = ensureExtensions(element, bo, bpmnFactory, modeling);
    props = bpmnFactory.create('spiffworkflow:Properties', { properties: [] });
    props.$parent = ext;
    modeling.updateModdleProperties(element, ext, { values: [...ext.get('values'), props] });
  }
  const list = props.get('properties') || [];
  const found = list.find((p) => p.get('name') === name);
  if (found && empty) {
    modeling.updateModdleProperties(element, props, { properties: list.filter((p) => p !== found) });
  } else if (found) {
    modeling.updateModdleProperties(element, found, { value });
  } else if (!empty) {
    const created = bpmnFactory.create('spiffworkflow:Property', { name, value });
    created.$parent = props;
    modeling.updateModdleProperties(element, props, { properties: [...list, created] });
  }
}

// The service task's operator: {id, resultVariable, params: {name: {type, value}}}.
export function getOperator(element) {
  const op = extensionOf(getBusinessObject(element), 'spiffworkflow:ServiceTaskOperator');
  if (!op) { return null; }
  const params = {};
  const list = op.get('parameterList');
  ((list && list.get('parameters')) || []).forEach((p) => {
    params[p.get('id')] = { type: p.get('type'), value: p.get('value') };
  });
  return { id: op.get('id'), resultVariable: op.get('resultVariable'), params, element: op };
}

// Replace the operator (and its parameters) in one step.
export function setOperator(element, spec, bpmnFactory, modeling) {
  const bo = getBusinessObject(element);
  const ext = ensureExtensions(element, bo, bpmnFactory, modeling);
  const others = ext.get('values').filter((v) => !is(v, 'spiffworkflow:ServiceTaskOperator'));
  if (!spec || !spec.id) {
    modeling.updateModdleProperties(element, ext, { values: others });
    return;
  }
  const op = bpmnFactory.create('spiffworkflow:ServiceTaskOperator', { id: spec.id });
  if (spec.resultVariable) { op.set('resultVariable', spec.resultVariable); }
  const list = bpmnFactory.create('spiffworkflow:Parameters', { parameters: [] });
  list.$parent = op;
  Object.keys(spec.params || {}).forEach((name) => {
    if (!spec.params[name].value) { return; }   // an empty optional parameter takes its default
    const p = bpmnFactory.create('spiffworkflow:Parameter', { id: name, type: spec.params[name].type || 'any',
                                                               value: spec.params[name].value || '' });
    p.$parent = list;
    list.get('parameters').push(p);
  });
  op.set('parameterList', list);
  op.$parent = ext;
  modeling.updateModdleProperties(element, ext, { values: [...others, op] });
}

// Every spiffworkflow:<type> of the extensions replaced by `items` (moddle elements made by `make`).
export function replaceExtensions(element, bo, type, items, bpmnFactory, modeling) {
  const current = bo.get('extensionElements');
  if (!current && !items.length) { return; }
  const ext = ensureExtensions(element, bo, bpmnFactory, modeling);
  const others = ext.get('values').filter((v) => !is(v, type));
  items.forEach((item) => { item.$parent = ext; });
  modeling.updateModdleProperties(element, ext, { values: [...others, ...items] });
}

export function extensionsOf(bo, type) {
  const ext = bo && bo.get('extensionElements');
  return ext ? (ext.get('values') || []).filter((v) => is(v, type)) : [];
}
