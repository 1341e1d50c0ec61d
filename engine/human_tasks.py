"""What the engine tells people about a ready task: who may act, its form, its instructions."""
from functools import lru_cache

from jinja2 import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

_jinja = ImmutableSandboxedEnvironment(autoescape=False)


def title_of(task_spec):
    return getattr(task_spec, 'bpmn_name', None) or getattr(task_spec, 'bpmn_id', None) or task_spec.name


def bpmn_id_of(task_spec):
    return getattr(task_spec, 'bpmn_id', None) or task_spec.name


def candidates(task, initiator):
    """(groups, users) allowed to act. The lane names the group; `lane_owners` in the task data
    overrides it (spiff-arena compatible); a task without a lane belongs to the initiator."""
    lane = getattr(task.task_spec, 'lane', None)
    owners = task.data.get('lane_owners')
    if lane and isinstance(owners, dict) and isinstance(owners.get(lane), list):
        return [], sorted({str(u) for u in owners[lane]})
    if lane:
        return [lane], []
    return [], [initiator] if initiator else []


def form_files(task_spec):
    props = (getattr(task_spec, 'extensions', None) or {}).get('properties') or {}
    return props.get('formJsonSchemaFilename'), props.get('formUiSchemaFilename')


@lru_cache(maxsize=1024)
def _template(text):
    return _jinja.from_string(text)


def instructions(task):
    text = (getattr(task.task_spec, 'extensions', None) or {}).get('instructionsForEndUser')
    if not text:
        return None
    try:
        return _template(text).render(**task.data)
    except (TemplateError, TypeError, ValueError) as e:
        return f'{text}\n\n(The instructions could not be filled in: {e})'


def timer_due(task):
    """Due time of a waiting timer task as an ISO string, or None."""
    value = task._get_internal_data('event_value')
    if isinstance(value, dict):
        return value.get('next')
    return value if isinstance(value, str) else None


def definitions(task):
    """The event definitions a catching task waits on: an event-based gateway (or a multiple
    event) holds several in a MultipleEventDefinition."""
    definition = getattr(task.task_spec, 'event_definition', None)
    if isinstance(definition, MultipleEventDefinition):
        return list(definition.event_definitions)
    return [definition] if definition is not None else []


def timer_definition(task):
    return next((d for d in definitions(task) if isinstance(d, TimerEventDefinition)), None)


def message_definitions(task, name=None):
    return [d for d in definitions(task) if isinstance(d, MessageEventDefinition) and name in (None, d.name)]


def is_timer(task):
    return timer_definition(task) is not None


def boundary_due(task):
    """Earliest due time of a timer attached to the task as a boundary event."""
    parent = task.parent
    if parent is None or type(parent.task_spec).__name__ != 'BoundaryEventSplit':
        return None
    dues = [timer_due(t) for t in parent.children if t is not task and is_timer(t)]
    dues = [d for d in dues if d]
    return min(dues) if dues else None
