// Properties for what EOMS (SpiffWorkflow) reads from a diagram, saved as spiffworkflow:*
// extensions and standard BPMN so models move between EOMS and spiff-arena: lanes, user task
// forms and instructions, service task operators with typed parameters, scripts, gateway
// conditions, timers, messages with correlation, call activity targets, decision ids.
import {
  CheckboxEntry, isCheckboxEntryEdited, isSelectEntryEdited, isTextAreaEntryEdited, isTextFieldEntryEdited,
  SelectEntry, TextAreaEntry, TextFieldEntry
} from '@bpmn-io/properties-panel';
import { useService } from 'bpmn-js-properties-panel';
import { getBusinessObject, is, isAny } from 'bpmn-js/lib/util/ModelUtil';
import {
  bodyExtension, extensionsOf, getOperator, getProperty, replaceExtensions, setBodyExtension, setOperator, setProperty
} from './extensions';

const LOW_PRIORITY = 400;
const REPLACED_GROUPS = ['message', 'timer'];

function text(config, key, fallback) {
  return (config.text && config.text[key]) || fallback;
}

// -- user tasks ---------------------------------------------------------------------------------

function FormFileEntry(props) {
  const { element, id, property, label } = props;
  const bpmnFactory = useService('bpmnFactory');
  const modeling = useService('modeling');
  const config = useService('eomsConfig');
  const current = getProperty(element, property);
  const getOptions = () => {
    const names = (config.forms || []).filter((n) => (property === 'formUiSchemaFilename') === /uischema/i.test(n));
    const options = [{ value: '', label: text(config, 'none', '(none)') }];
    names.forEach((n) => options.push({ value: n, label: n }));
    if (current && names.indexOf(current) < 0) { options.push({ value: current, label: current + ' (?)' }); }
    return options;
  };
  return <SelectEntry id={id} element={element} label={label} getOptions={getOptions}
    getValue={() => getProperty(element, property)}
    setValue={(value) => setProperty(element, property, value, bpmnFactory, modeling)} />;
}

function BodyTextEntry(props) {
  const { element, id, type, label, description, rows } = props;
  const bpmnFactory = useService('bpmnFactory');
  const modeling = useService('modeling');
  const debounce = useService('debounceInput');
  return <TextAreaEntry id={id} element={element} label={label} description={description} rows={rows || 4}
    monospace debounce={debounce} getValue={() => bodyExtension(element, type)}
    setValue={(value) => setBodyExtension(element, type, value, bpmnFactory, modeling)} />;
}

function userTaskGroup(element, config) {
  return {
    id: 'eoms-user-task', label: text(config, 'userTask', 'Form and instructions'),
    entries: [
      { id: 'formJsonSchemaFilename', element, component: FormFileEntry, property: 'formJsonSchemaFilename',
        label: text(config, 'formSchema', 'Form (JSON Schema file)'), isEdited: isSelectEntryEdited },
      { id: 'formUiSchemaFilename', element, component: FormFileEntry, property: 'formUiSchemaFilename',
        label: text(config, 'formUi', 'Form layout (UI schema file)'), isEdited: isSelectEntryEdited },
      { id: 'instructionsForEndUser', element, component: BodyTextEntry, type: 'spiffworkflow:InstructionsForEndUser',
        label: text(config, 'instructions', 'Instructions (Markdown, Jinja)'), rows: 6,
        isEdited: isTextAreaEntryEdited }
    ]
  };
}

// -- service tasks -------------------------------------------------------------------------------

function OperatorEntry(props) {
  const { element, id } = props;
  const bpmnFactory = useService('bpmnFactory');
  const modeling = useService('modeling');
  const config = useService('eomsConfig');
  const getOptions = () => {
    const options = [{ value: '', label: text(config, 'chooseOperator', '(choose an operator)') }];
    (config.operators || []).forEach((op) => options.push({ value: op.name, label: op.name }));
    const current = getOperator(element);
    if (current && current.id && !(config.operators || []).some((op) => op.name === current.id)) {
      options.push({ value: current.id, label: current.id + ' (?)' });
    }
    return options;
  };
  const setValue = (name) => {
    const op = (config.operators || []).find((o) => o.name === name);
    const before = getOperator(element) || { params: {} };
    const params = {};
    ((op && op.params) || []).forEach((p) => {
      params[p.name] = { type: p.type, value: (before.params[p.name] || {}).value || '' };
    });
    setOperator(element, name ? { id: name, resultVariable: before.resultVariable, params } : null, bpmnFactory, modeling);
  };
  const description = () => {
    const current = getOperator(element);
    const op = current && (config.operators || []).find((o) => o.name === current.id);
    return op ? op.description : undefined;
  };
  return <SelectEntry id={id} element={element} label={text(config, 'operator', 'Operator')} getOptions={getOptions}
    description={description()} getValue={() => (getOperator(element) || {}).id || ''} setValue={setValue} />;
}

function ResultVariableEntry(props) {
  const { element, id } = props;
  const bpmnFactory = useService('bpmnFactory');
  const modeling = useService('modeling');
  const debounce = useService('debounceInput');
  const config = useService('eomsConfig');
  return <TextFieldEntry id={id} element={element} debounce={debounce}
    label={text(config, 'resultVariable', 'Store the result in')}
    getValue={() => (getOperator(element) || {}).resultVariable || ''}
    setValue={(value) => {
      const op = getOperator(element);
      if (op) { setOperator(element, { ...op, resultVariable: value }, bpmnFactory, modeling); }
    }} />;
}

function ParameterEntry(props) {
  const { element, id, param } = props;
  const bpmnFactory = useService('bpmnFactory');
  const modeling = useService('modeling');
  const debounce = useService('debounceInput');
  const label = `${param.name} (${param.type})${param.required ? ' *' : ''}`;
  return <TextFieldEntry id={id} element={element} debounce={debounce} label={label}
    description={param.description}
    getValue={() => ((getOperator(element) || { params: {} }).params[param.name] || {}).value || ''}
    setValue={(value) => {
      const op = getOperator(element);
      if (!op) { return; }
      const params = { ...op.params, [param.name]: { type: param.type, value: value || '' } };
      setOperator(element, { ...op, params }, bpmnFactory, modeling);
    }} />;
}

function serviceTaskGroup(element, config) {
  const entries = [{ id: 'serviceTaskOperator', element, component: OperatorEntry, isEdited: isSelectEntryEdited }];
  const current = getOperator(element);
  const op = current && (config.operators || []).find((o) => o.name === current.id);
  if (current) {
    entries.push({ id: 'serviceTaskResultVariable', element, component: ResultVariableEntry,
                   isEdited: isTextFieldEntryEdited });
  }
  ((op && op.params) || []).forEach((param) => {
    entries.push({ id: 'serviceTaskParameter-' + param.name, element, component: ParameterEntry, param,
                   isEdited: isTextFieldEntryEdited });
  });
  return { id: 'eoms-service-task', label: text(config, 'serviceTask', 'Operator'), entries };
}

// -- scripts ---------------------------------------------------------------------------------------

function ScriptEntry(props) {
  const { element, id } = props;
  const modeling = useService('modeling');
  const debounce = useService('debounceInput');
  const config = useService('eomsConfig');
  const bo = getBusinessObject(element);
  return <TextAreaEntry id={id} element={element} debounce={debounce} monospace rows={8}
    label={text(config, 'script', 'Script (Python)')}
    getValue={() => bo.get('script') || ''}
    setValue={(value) => modeling.updateProperties(element, { script: value || undefined, scriptFormat: 'python' })} />;
}

function scriptGroup(element, config) {
  const entries = [];
  if (is(element, 'bpmn:ScriptTask')) {
    entries.push({ id: 'script', element, component: ScriptEntry, isEdited: isTextAreaEntryEdited });
  }
  entries.push({ id: 'preScript', element, component: BodyTextEntry, type: 'spiffworkflow:PreScript',
                 label: text(config, 'preScript', 'Script before the task (Python)'), isEdited: isTextAreaEntryEdited });
  entries.push({ id: 'postScript', element, component: BodyTextEntry, type: 'spiffworkflow:PostScript',
                 label: text(config, 'postScript', 'Script after the task (Python)'), isEdited: isTextAreaEntryEdited });
  return { id: 'eoms-scripts', label: text(config, 'scripts', 'Scripts'), entries };
}

// -- gateway conditions ----------------------------------------------------------------------------

function ConditionEntry(props) {
  const { element, id } = props;
  const modeling = useService('modeling');
  const bpmnFactory = useService('bpmnFactory');
  const debounce = useService('debounceInput');
  const config = useService('eomsConfig');
  const bo = getBusinessObject(element);
  return <TextAreaEntry id={id} element={element} debounce={debounce} monospace rows={2}
    label={text(config, 'condition', 'Condition (Python expression)')}
    description={text(config, 'conditionHelp', 'e.g. amount > 100000')}
    getValue={() => (bo.get('conditionExpression') && bo.get('conditionExpression').get('body')) || ''}
    setValue={(value) => {
      const expression = value ? bpmnFactory.create('bpmn:FormalExpression', { body: value }) : undefined;
      modeling.updateProperties(element, { conditionExpression: expression });
    }} />;
}

function DefaultFlowEntry(props) {
  const { element, id } = props;
  const modeling = useService('modeling');
  const config = useService('eomsConfig');
  const source = element.source;
  return <CheckboxEntry id={id} element={element} label={text(config, 'defaultFlow', 'Default flow (taken when no condition holds)')}
    getValue={() => getBusinessObject(source).get('default') === getBusinessObject(element)}
    setValue={(value) => modeling.updateProperties(source, { default: value ? getBusinessObject(element) : undefined })} />;
}

function conditionGroup(element, config) {
  return {
    id: 'eoms-condition', label: text(config, 'conditionGroup', 'Condition'),
    entries: [
      { id: 'conditionExpression', element, component: ConditionEntry, isEdited: isTextAreaEntryEdited },
      { id: 'defaultFlow', element, component: DefaultFlowEntry, isEdited: isCheckboxEntryEdited }
    ]
  };
}

// -- timers ----------------------------------------------------------------------------------------

const TIMER_KINDS = ['timeDuration', 'timeDate', 'timeCycle'];

function timerDefinition(element) {
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

function timerGroup(element, config) {
  return {
    id: 'eoms-timer', label: text(config, 'timerGroup', 'Timer'),
    entries: [
      { id: 'timerKind', element, component: TimerKindEntry, isEdited: isSelectEntryEdited },
      { id: 'timerValue', element, component: TimerValueEntry, isEdited: isTextFieldEntryEdited }
    ]
  };
}

// -- messages --------------------------------------------------------------------------------------

function messageHolder(element) {
  const bo = getBusinessObject(element);
  if (isAny(bo, ['bpmn:SendTask', 'bpmn:ReceiveTask'])) { return bo; }
  return (bo.get('eventDefinitions') || []).find((d) => is(d, 'bpmn:MessageEventDefinition'));
}

function definitionsOf(element) {
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

function messageGroup(element, config) {
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

// -- call activities and decisions ---------------------------------------------------------------

function CalledElementEntry(props) {
  const { element, id } = props;
  const modeling = useService('modeling');
  const config = useService('eomsConfig');
  const canvas = useService('canvas');
  const bo = getBusinessObject(element);
  const getOptions = () => {
    const options = [{ value: '', label: text(config, 'chooseProcess', '(choose a process)') }];
    const seen = {};
    const root = definitionsOf(element);
    (root.get('rootElements') || []).filter((r) => is(r, 'bpmn:Process')).forEach((p) => {
      seen[p.get('id')] = true;
      options.push({ value: p.get('id'), label: `${p.get('id')} (${text(config, 'thisFile', 'this file')})` });
    });
    (config.processes || []).forEach((p) => {
      if (!seen[p.process_id]) {
        seen[p.process_id] = true;
        options.push({ value: p.process_id, label: `${p.process_id} (${p.model} v${p.version})` });
      }
    });
    const current = bo.get('calledElement');
    if (current && !seen[current]) { options.push({ value: current, label: current + ' (?)' }); }
    return options;
  };
  void canvas;
  return <SelectEntry id={id} element={element} label={text(config, 'calledElement', 'Calls process')}
    getOptions={getOptions} getValue={() => bo.get('calledElement') || ''}
    setValue={(value) => modeling.updateProperties(element, { calledElement: value || undefined })} />;
}

function DecisionEntry(props) {
  const { element, id } = props;
  const bpmnFactory = useService('bpmnFactory');
  const modeling = useService('modeling');
  const debounce = useService('debounceInput');
  const config = useService('eomsConfig');
  return <TextFieldEntry id={id} element={element} debounce={debounce}
    label={text(config, 'decision', 'Decision id (DMN)')}
    getValue={() => bodyExtension(element, 'spiffworkflow:CalledDecisionId')}
    setValue={(value) => setBodyExtension(element, 'spiffworkflow:CalledDecisionId', value, bpmnFactory, modeling)} />;
}

// -- lanes -------------------------------------------------------------------------------------------

function LaneEntry(props) {
  const { element, id } = props;
  const modeling = useService('modeling');
  const debounce = useService('debounceInput');
  const config = useService('eomsConfig');
  return <TextFieldEntry id={id} element={element} debounce={debounce}
    label={text(config, 'lane', 'Group')}
    description={text(config, 'laneHelp', 'The lane\'s name is the group whose members work on its tasks.')}
    getValue={() => getBusinessObject(element).get('name') || ''}
    setValue={(value) => modeling.updateLabel(element, value)} />;
}

// -- the provider --------------------------------------------------------------------------------------

export default function SpiffPropertiesProvider(propertiesPanel, eomsConfig) {
  this.getGroups = function (element) {
    return function (groups) {
      const config = eomsConfig;
      // The stock message and timer groups are replaced by EOMS's (Python expressions, payloads,
      // correlation), so the same property is never offered twice.
      groups = groups.filter((group) => REPLACED_GROUPS.indexOf(group.id) < 0);
      if (is(element, 'bpmn:Lane')) {
        groups.push({ id: 'eoms-lane', label: text(config, 'laneGroup', 'Lane'),
                      entries: [{ id: 'laneGroup', element, component: LaneEntry, isEdited: isTextFieldEntryEdited }] });
      }
      if (is(element, 'bpmn:UserTask')) { groups.push(userTaskGroup(element, config)); }
      if (is(element, 'bpmn:ServiceTask')) { groups.push(serviceTaskGroup(element, config)); }
      if (is(element, 'bpmn:Task')) { groups.push(scriptGroup(element, config)); }
      if (is(element, 'bpmn:SequenceFlow') && element.source &&
          isAny(element.source, ['bpmn:ExclusiveGateway', 'bpmn:InclusiveGateway'])) {
        groups.push(conditionGroup(element, config));
      }
      if (isAny(element, ['bpmn:Event']) && timerDefinition(element)) { groups.push(timerGroup(element, config)); }
      if (messageHolder(element)) { groups.push(messageGroup(element, config)); }
      if (is(element, 'bpmn:CallActivity')) {
        groups.push({ id: 'eoms-call', label: text(config, 'callGroup', 'Called process'),
                      entries: [{ id: 'calledElement', element, component: CalledElementEntry, isEdited: isSelectEntryEdited }] });
      }
      if (is(element, 'bpmn:BusinessRuleTask')) {
        groups.push({ id: 'eoms-decision', label: text(config, 'decisionGroup', 'Decision'),
                      entries: [{ id: 'calledDecisionId', element, component: DecisionEntry, isEdited: isTextFieldEntryEdited }] });
      }
      return groups;
    };
  };
  propertiesPanel.registerProvider(LOW_PRIORITY, this);
}

SpiffPropertiesProvider.$inject = ['propertiesPanel', 'eomsConfig'];
