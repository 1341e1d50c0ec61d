// Timers and messages: timer kind and Python expression; message name, payload, and correlation
// on the message (retrieval expressions) and on the waiting instance (processVariableCorrelation).
import {
  CheckboxEntry, isCheckboxEntryEdited, isSelectEntryEdited, isTextAreaEntryEdited, isTextFieldEntryEdited,
  SelectEntry, TextAreaEntry, TextFieldEntry
} from '@bpmn-io/properties-panel';
import { useService } from 'bpmn-js-properties-panel';
import { getBusinessObject, is, isAny } from 'bpmn-js/lib/util/ModelUtil';
import { bodyExtension, extensionsOf, replaceExtensions, setBodyExtension } from '../extensions';
import { text } from './common';

const TIMER_KINDS = ['timeDuration', 'timeDate', 'timeCycle'];

export function timerDefinition(element) {
  const bo = getBusinessObject(element);
  return (bo.get('eventDefinitions') || []).find((d) => is(d, 'bpmn:TimerEventDefinition'));
}

function timerKind(definition) {
  return TIMER_KINDS.find((k) => definition.get(k)) || 'timeDuration';
}

function TimerKindEntry(props) {
  const { element, id } = props;
  const modeling = useService('modeling');
  const bpmnFactory = useService('bpmnFactory');
  const config = useService('eomsConfig');
  const definition = timerDefinition(element);
  const labels = { timeDuration: text(config, 'timeDuration', 'Duration'), timeDate: text(config, 'timeDate', 'Date'),
                   timeCycle: text(config, 'timeCycle', 'Cycle') };
  return <SelectEntry id={id} element={element} label={text(config, 'timerKind', 'Timer')}
    getOptions={() => TIMER_KINDS.map((k) => ({ value: k, label: labels[k] }))}
    getValue={() => timerKind(definition)}
    setValue={(kind) => {
      const old = definition.get(timerKind(definition));
      const changes = { timeDuration: undefined, timeDate: undefined, timeCycle: undefined };
      changes[kind] = bpmnFactory.create('bpmn:FormalExpression', { body: old ? old.get('body') : '' });
      modeling.updateModdleProperties(element, definition, changes);
    }} />;
}

function TimerValueEntry(props) {
  const { element, id } = props;
  const modeling = useService('modeling');
  const bpmnFactory = useService('bpmnFactory');
  const debounce = useService('debounceInput');
  const config = useService('eomsConfig');
  const definition = timerDefinition(element);
  return <TextFieldEntry id={id} element={element} debounce={debounce}
    label={text(config, 'timerValue', 'Expression (Python)')}
    description={text(config, 'timerHelp', 'A quoted ISO 8601 value such as "P2D", or a variable that holds one')}
    getValue={() => { const e = definition.get(timerKind(definition)); return e ? e.get('body') : ''; }}
    setValue={(value) => {
      const kind = timerKind(definition);
      modeling.updateModdleProperties(element, definition, {
        [kind]: bpmnFactory.create('bpmn:FormalExpression', { body: value || '' }) });
    }} />;
}

export function timerGroup(element, config) {
  return {
    id: 'eoms-timer', label: text(config, 'timerGroup', 'Timer'),
    entries: [
      { id: 'timerKind', element, component: TimerKindEntry, isEdited: isSelectEntryEdited },
      { id: 'timerValue', element, component: TimerValueEntry, isEdited: isTextFieldEntryEdited }
    ]
  };
}

export function messageHolder(element) {
  const bo = getBusinessObject(element);
  if (isAny(bo, ['bpmn:SendTask', 'bpmn:ReceiveTask'])) { return bo; }
  return (bo.get('eventDefinitions') || []).find((d) => is(d, 'bpmn:MessageEventDefinition'));
}

export function definitionsOf(element) {
  let node = getBusinessObject(element);
  while (node && !is(node, 'bpmn:Definitions')) { node = node.$parent; }
  return node;
}

function isThrowing(element) {
  return isAny(element, ['bpmn:IntermediateThrowEvent', 'bpmn:EndEvent', 'bpmn:SendTask']);
}

function usersOf(message, elementRegistry) {
  return elementRegistry.filter((el) => {
    const holder = el.type !== 'label' && messageHolder(el);
    return holder && holder.get('messageRef') === message;
  }).length;
}

function MessageNameEntry(props) {
  const { element, id } = props;
  const elementRegistry = useService('elementRegistry');
  const modeling = useService('modeling');
  const bpmnFactory = useService('bpmnFactory');
  const debounce = useService('debounceInput');
  const config = useService('eomsConfig');
  const holder = messageHolder(element);
  return <TextFieldEntry id={id} element={element} debounce={debounce}
    label={text(config, 'messageName', 'Message name')}
    getValue={() => { const m = holder.get('messageRef'); return m ? m.get('name') || '' : ''; }}
    setValue={(value) => {
      const definitions = definitionsOf(element);
      const current = holder.get('messageRef');
      const named = (definitions.get('rootElements') || []).find((r) => is(r, 'bpmn:Message') && r.get('name') === value);
      if (current && value && !named && usersOf(current, elementRegistry) <= 1) {
        modeling.updateModdleProperties(element, current, { name: value });   // only this element uses it: rename
        return;
      }
      let message = named;
      if (!message && value) {
        message = bpmnFactory.create('bpmn:Message', { name: value });
        message.$parent = definitions;
        modeling.updateModdleProperties(element, definitions, { rootElements: [...definitions.get('rootElements'), message] });
      }
      modeling.updateModdleProperties(element, holder, { messageRef: message || undefined });
    }} />;
}

function retrievals(definitions, message) {
  // [[correlationProperty, retrievalExpression]] for `message`.
  const found = [];
  (definitions.get('rootElements') || []).filter((r) => is(r, 'bpmn:CorrelationProperty')).forEach((prop) => {
    (prop.get('correlationPropertyRetrievalExpression') || []).forEach((r) => {
      if (r.get('messageRef') === message) { found.push([prop, r]); }
    });
  });
  return found;
}

function CorrelationEntry(props) {
  const { element, id } = props;
  const modeling = useService('modeling');
  const bpmnFactory = useService('bpmnFactory');
  const debounce = useService('debounceInput');
  const config = useService('eomsConfig');
  const holder = messageHolder(element);
  const getValue = () => {
    const message = holder.get('messageRef');
    if (!message) { return ''; }
    return retrievals(definitionsOf(element), message)
      .map(([prop, r]) => `${prop.get('id')} = ${(r.get('messagePath') && r.get('messagePath').get('body')) || ''}`)
      .join('\n');
  };
  const setValue = (value) => {
    const message = holder.get('messageRef');
    const definitions = definitionsOf(element);
    if (!message) { return; }
    const wanted = {};
    (value || '').split('\n').forEach((line) => {
      const at = line.indexOf('=');
      if (at > 0 && line.slice(0, at).trim()) { wanted[line.slice(0, at).trim()] = line.slice(at + 1).trim(); }
    });
    let roots = [...definitions.get('rootElements')];
    roots.filter((r) => is(r, 'bpmn:CorrelationProperty')).forEach((prop) => {
      const kept = (prop.get('correlationPropertyRetrievalExpression') || []).filter(
        (r) => r.get('messageRef') !== message || prop.get('id') in wanted);
      modeling.updateModdleProperties(element, prop, { correlationPropertyRetrievalExpression: kept });
    });
    Object.keys(wanted).forEach((propId) => {
      let prop = roots.find((r) => is(r, 'bpmn:CorrelationProperty') && r.get('id') === propId);
      if (!prop) {
        prop = bpmnFactory.create('bpmn:CorrelationProperty', { id: propId, name: propId,
                                                                correlationPropertyRetrievalExpression: [] });
        prop.$parent = definitions;
        roots = [...roots, prop];
        modeling.updateModdleProperties(element, definitions, { rootElements: roots });
      }
      const list = prop.get('correlationPropertyRetrievalExpression') || [];
      const path = bpmnFactory.create('bpmn:FormalExpression', { body: wanted[propId] });
      const existing = list.find((r) => r.get('messageRef') === message);
      if (existing) {
        modeling.updateModdleProperties(element, existing, { messagePath: path });
      } else {
        const r = bpmnFactory.create('bpmn:CorrelationPropertyRetrievalExpression', { messageRef: message, messagePath: path });
        r.$parent = prop;
        modeling.updateModdleProperties(element, prop, { correlationPropertyRetrievalExpression: [...list, r] });
      }
    });
  };
  return <TextAreaEntry id={id} element={element} debounce={debounce} monospace rows={3}
    label={text(config, 'correlation', 'Correlation (one per line: property = expression)')}
    description={text(config, 'correlationHelp', 'e.g. order_no = order_no: a message is delivered to the instance whose values match')}
    getValue={getValue} setValue={setValue} />;
}

function parseLines(value) {
  const wanted = [];
  (value || '').split('\n').forEach((line) => {
    const at = line.indexOf('=');
    if (at > 0 && line.slice(0, at).trim()) { wanted.push([line.slice(0, at).trim(), line.slice(at + 1).trim()]); }
  });
  return wanted;
}

// spiffworkflow:processVariableCorrelation: which process data a waiting instance is found by.
function ProcessCorrelationEntry(props) {
  const { element, id } = props;
  const modeling = useService('modeling');
  const bpmnFactory = useService('bpmnFactory');
  const debounce = useService('debounceInput');
  const config = useService('eomsConfig');
  const holder = messageHolder(element);
  const type = 'spiffworkflow:ProcessVariableCorrelation';
  return <TextAreaEntry id={id} element={element} debounce={debounce} monospace rows={2}
    label={text(config, 'processCorrelation', 'This instance is found by (one per line: property = expression)')}
    description={text(config, 'processCorrelationHelp', 'e.g. order_no = order_no: compared with the message\'s correlation')}
    getValue={() => extensionsOf(holder, type).map((c) => `${c.get('propertyId')} = ${c.get('expression') || ''}`).join('\n')}
    setValue={(value) => replaceExtensions(element, holder, type, parseLines(value).map(([prop, expression]) =>
      bpmnFactory.create(type, { propertyId: prop, expression })), bpmnFactory, modeling)} />;
}

export function messageGroup(element, config) {
  const holder = messageHolder(element);
  const isEvent = is(holder, 'bpmn:MessageEventDefinition');
  const entries = [{ id: 'messageName', element, component: MessageNameEntry, isEdited: isTextFieldEntryEdited }];
  if (isEvent) {
    entries.push(isThrowing(element)
      ? { id: 'messagePayload', element, component: PayloadEntry, type: 'spiffworkflow:MessagePayload',
          label: text(config, 'payload', 'Payload (Python expression)'), isEdited: isTextFieldEntryEdited }
      : { id: 'messageVariable', element, component: PayloadEntry, type: 'spiffworkflow:MessageVariable',
          label: text(config, 'messageVariable', 'Store the payload in'), isEdited: isTextFieldEntryEdited });
  }
  entries.push({ id: 'messageCorrelation', element, component: CorrelationEntry, isEdited: isTextAreaEntryEdited });
  if (isEvent && !isThrowing(element)) {
    entries.push({ id: 'processCorrelation', element, component: ProcessCorrelationEntry, isEdited: isTextAreaEntryEdited });
  }
  return { id: 'eoms-message', label: text(config, 'messageGroup', 'Message'), entries };
}

function PayloadEntry(props) {
  const { element, id, type, label } = props;
  const bpmnFactory = useService('bpmnFactory');
  const modeling = useService('modeling');
  const debounce = useService('debounceInput');
  const holder = messageHolder(element);
  return <TextFieldEntry id={id} element={element} label={label} debounce={debounce}
    getValue={() => bodyExtension(element, type, holder)}
    setValue={(value) => setBodyExtension(element, type, value, bpmnFactory, modeling, holder)} />;
}
