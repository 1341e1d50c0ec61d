"""REST payloads (marshmallow): they validate requests and generate the OpenAPI document."""
from marshmallow import Schema, fields, validate


class ErrorBody(Schema):
    code = fields.String(required=True, metadata={'description': 'stable snake_case code'})
    message = fields.String(required=True)
    details = fields.Raw(allow_none=True)


class Error(Schema):
    error = fields.Nested(ErrorBody, required=True)


class Deployed(Schema):
    key = fields.String()
    version = fields.Integer()
    process_ids = fields.List(fields.String())
    collaborations = fields.List(fields.String())
    primary_process_id = fields.String(allow_none=True)
    executable = fields.Boolean()


class DeployForm(Schema):
    key = fields.String(required=True, metadata={'description': 'model key (slug)'})
    files = fields.List(fields.Raw(metadata={'type': 'string', 'format': 'binary'}), required=True)
    primary_process_id = fields.String()
    message = fields.String(metadata={'description': 'what changed in this version'})


class ModelSummary(Schema):
    key = fields.String()
    latest_version = fields.Integer()
    process_ids = fields.List(fields.String())


class VersionSummary(Schema):
    version = fields.Integer()
    created_at = fields.DateTime()
    created_by = fields.String(allow_none=True)
    message = fields.String(allow_none=True)
    executable = fields.Boolean()
    files = fields.List(fields.String())


class Form(Schema):
    schema = fields.Dict(allow_none=True)
    ui_schema = fields.Dict(allow_none=True)


class Task(Schema):
    id = fields.String()
    instance_id = fields.Integer()
    name = fields.String(metadata={'description': 'BPMN id'})
    title = fields.String(metadata={'description': 'BPMN name'})
    lane = fields.String(allow_none=True)
    groups = fields.List(fields.String())
    assignee = fields.String(allow_none=True)
    created_at = fields.DateTime()
    due_at = fields.DateTime(allow_none=True)
    instructions = fields.String(allow_none=True)
    form = fields.Nested(Form, allow_none=True)


class Timer(Schema):
    task_id = fields.String()
    name = fields.String()
    due_at = fields.DateTime(allow_none=True)


class MessageWait(Schema):
    name = fields.String()
    correlation = fields.Dict()


class IncidentView(Schema):
    id = fields.Integer()
    task_name = fields.String(allow_none=True)
    code = fields.String()
    message = fields.String()
    created_at = fields.DateTime()


class Instance(Schema):
    id = fields.Integer()
    model = fields.String()
    version = fields.Integer()
    process_id = fields.String()
    status = fields.String(metadata={'enum': ['running', 'waiting', 'completed', 'error', 'terminated']})
    data = fields.Dict()
    initiator = fields.String(allow_none=True)
    ready_tasks = fields.List(fields.Nested(Task))
    timers = fields.List(fields.Nested(Timer))
    message_waits = fields.List(fields.Nested(MessageWait))
    incidents = fields.List(fields.Nested(IncidentView))
    started_at = fields.DateTime()
    ended_at = fields.DateTime(allow_none=True)


class InstanceRow(Schema):
    id = fields.Integer()
    model = fields.String(attribute='model_key')
    version = fields.Integer()
    status = fields.String()
    started_at = fields.DateTime()
    ended_at = fields.DateTime(allow_none=True)


class InstancePage(Schema):
    items = fields.List(fields.Nested(InstanceRow))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class InstanceQuery(Schema):
    model = fields.String()
    status = fields.String(validate=validate.OneOf(['running', 'waiting', 'completed', 'error', 'terminated']))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class StartInstance(Schema):
    model = fields.String(required=True)
    version = fields.Integer(validate=validate.Range(min=1))
    process_id = fields.String()
    data = fields.Dict(load_default=dict)


class Event(Schema):
    at = fields.DateTime()
    actor = fields.String(allow_none=True)
    kind = fields.String()
    task_name = fields.String(allow_none=True)
    detail = fields.Dict()
    source_ip = fields.String(allow_none=True)


class FireTimers(Schema):
    task_id = fields.String()


class Terminate(Schema):
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class TaskQuery(Schema):
    scope = fields.String(load_default='groups', validate=validate.OneOf(['mine', 'groups', 'all']))
    instance_id = fields.Integer()


class CompleteTask(Schema):
    data = fields.Dict(load_default=dict)


class SendMessage(Schema):
    payload = fields.Dict(load_default=dict)
    correlation = fields.Dict(load_default=dict)


class MessageDelivered(Schema):
    delivered_to = fields.List(fields.Integer())
    started = fields.List(fields.Integer())


class OperatorParam(Schema):
    name = fields.String()
    type = fields.String()
    description = fields.String()
    required = fields.Boolean()
    default = fields.Raw(allow_none=True)


class OperatorView(Schema):
    name = fields.String()
    description = fields.String()
    retries = fields.Integer()
    backoff_seconds = fields.Float()
    params = fields.List(fields.Nested(OperatorParam))


class IncidentRow(Schema):
    id = fields.Integer()
    instance_id = fields.Integer()
    task_id = fields.String(allow_none=True)
    task_name = fields.String(allow_none=True)
    code = fields.String()
    message = fields.String()
    created_at = fields.DateTime()


class OutboxRow(Schema):
    key = fields.String()
    kind = fields.String()
    instance_id = fields.Integer(allow_none=True)
    task_name = fields.String(allow_none=True)
    status = fields.String()
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    created_at = fields.DateTime()


class OperationsView(Schema):
    outbox = fields.List(fields.Dict())
    open_incidents = fields.Integer()
    pending = fields.List(fields.Nested(OutboxRow))
    queue = fields.Dict()


class DiffQuery(Schema):
    from_version = fields.Integer(data_key='from', required=True, validate=validate.Range(min=1))
    to_version = fields.Integer(data_key='to', required=True, validate=validate.Range(min=1))


class VersionDiff(Schema):
    key = fields.String()
    from_version = fields.Integer()
    to_version = fields.Integer()
    processes = fields.Dict(metadata={'description': 'process id -> {status, added, removed, changed}'})


class MigrateInstance(Schema):
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    dry_run = fields.Boolean(load_default=False)


class BulkMigration(Schema):
    from_version = fields.Integer(required=True, validate=validate.Range(min=1))
    to_version = fields.Integer(required=True, validate=validate.Range(min=1))
    dry_run = fields.Boolean(load_default=True)
    status = fields.String(validate=validate.OneOf(['running', 'waiting', 'error']))


class MigrationOutcome(Schema):
    instance_id = fields.Integer()
    from_version = fields.Integer()
    to_version = fields.Integer()
    can_move = fields.Boolean()
    moved = fields.Boolean()
    reasons = fields.List(fields.String())
