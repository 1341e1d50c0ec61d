"""Messages that start an event subprocess of a running instance.

SpiffWorkflow 3.2 keeps no waiting task for the message start event of an event subprocess: the
process's start task lists the event subprocesses (`trigger_specs`), and catching a matching
message creates one (non-interrupting ones as often as messages arrive). Such a start has no
message_wait row, so engine.messages does not route to it; a command that knows its instance
delivers the message here instead, inside run_command's apply."""
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent

from .commands.core import event_correlations


def message_starts(wf, name):
    """Definitions of message `name` that start an event subprocess of wf's process."""
    found = []
    for spec_name in getattr(wf.spec.start, 'trigger_specs', None) or []:
        spec = wf.subprocess_specs.get(spec_name)
        for start in (spec.bpmn_start_events if spec is not None else []):
            definition = start.event_definition
            if isinstance(definition, MessageEventDefinition) and definition.name == name:
                found.append(definition)
    return found


def starts_with(wf, name):
    return bool(message_starts(wf, name))


def trigger(wf, name, payload, correlation=None):
    """Start the event subprocess that message `name` starts; False when the process has none.
    The payload must hold what the correlation properties' retrieval expressions read."""
    definitions = message_starts(wf, name)
    if not definitions:
        return False
    definition = definitions[0]
    event = BpmnEvent(definition, payload=dict(payload or {}),
                      correlations=event_correlations(definition, correlation, payload))
    return wf.event_manager.catch(event, internal=False) > 0
