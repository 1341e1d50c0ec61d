"""Service tasks never block the engine: the task evaluates its parameters, records a request and
stays STARTED; the command path turns the request into an outbox row, a worker runs the operator
and reports back through `commands.finish_service_task`."""
from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import ServiceTaskParser
from SpiffWorkflow.spiff.specs.defaults import ServiceTask
from SpiffWorkflow.util.task import TaskState

REQUEST = 'eoms_service_request'   # internal data: {'operator', 'params', 'attempt', 'key'}

# Names of the operators the workers offer, set by whoever registers them (tasks/); deploying a
# diagram that names another operator is refused. None: not known in this process, not checked.
operator_names = None


def register_operators(names):
    global operator_names
    operator_names = set(names)


class QueuedServiceTask(ServiceTask):

    def _execute(self, my_task):
        params = {name: my_task.workflow.script_engine.evaluate(my_task, spec['value'])
                  for name, spec in (self.operation_params or {}).items()}
        my_task.internal_data[REQUEST] = {'operator': self.operation_name, 'params': params, 'attempt': 1,
                                          'key': None}
        return None  # STARTED: the outcome arrives later, from a worker


class EomsParser(SpiffBpmnParser):
    OVERRIDE_PARSER_CLASSES = {**SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
                               full_tag('serviceTask'): (ServiceTaskParser, QueuedServiceTask)}


def waiting_requests(wf):
    """Started service tasks whose request has no outbox row yet."""
    return [t for t in _started(wf) if t.internal_data[REQUEST].get('key') is None]


def outstanding(wf):
    return bool(_started(wf))


def _started(wf):
    found = []
    for workflow in (wf, *wf.subprocesses.values()):
        found += [t for t in workflow.tasks.values()
                  if t.state == TaskState.STARTED and REQUEST in t.internal_data]
    return found
