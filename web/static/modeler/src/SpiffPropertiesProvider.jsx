// Properties for what EOMS (SpiffWorkflow) reads from a diagram, saved as spiffworkflow:*
// extensions and standard BPMN so models move between EOMS and spiff-arena: lanes, user task
// forms and instructions, service task operators with typed parameters, scripts, gateway
// conditions, timers, messages with correlation, call activity targets, decision ids.
// The entries live in ./properties/.
import { isSelectEntryEdited, isTextFieldEntryEdited } from '@bpmn-io/properties-panel';
import { is, isAny } from 'bpmn-js/lib/util/ModelUtil';
import { CalledElementEntry, DecisionEntry, LaneEntry } from './properties/calls';
import { text } from './properties/common';
import { messageGroup, messageHolder, timerDefinition, timerGroup } from './properties/events';
import { conditionGroup } from './properties/flows';
import { scriptGroup, serviceTaskGroup, userTaskGroup } from './properties/tasks';

const LOW_PRIORITY = 400;
const REPLACED_GROUPS = ['message', 'timer'];

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
