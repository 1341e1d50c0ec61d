"""Tables the engine owns: deployed versions, instances and their query projections."""
from datetime import datetime, timezone

from sqlalchemy import Index, UniqueConstraint

from .db import db


def utcnow():
    return datetime.now(timezone.utc)


class UTCDateTime(db.TypeDecorator):
    """Timestamps stored naive in UTC, always handed out timezone-aware."""
    impl = db.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        return value.replace(tzinfo=timezone.utc) if value is not None else None


class ProcessModel(db.Model):
    __tablename__ = 'process_model'
    key = db.Column(db.String(100), primary_key=True)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    latest_version = db.Column(db.Integer, nullable=False, default=0)


class ModelVersion(db.Model):
    __tablename__ = 'model_version'
    __table_args__ = (UniqueConstraint('model_key', 'version'), UniqueConstraint('model_key', 'content_hash'))
    id = db.Column(db.Integer, primary_key=True)
    model_key = db.Column(db.String(100), db.ForeignKey('process_model.key'), nullable=False)
    version = db.Column(db.Integer, nullable=False)
    content_hash = db.Column(db.String(64), nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    created_by = db.Column(db.String(100))
    message = db.Column(db.Text)
    executable = db.Column(db.Boolean, nullable=False)
    process_ids = db.Column(db.JSON, nullable=False)
    collaborations = db.Column(db.JSON, nullable=False)
    primary_process_id = db.Column(db.String(255))
    # Message name -> ids of the bundle's processes that a message with that name starts.
    start_messages = db.Column(db.JSON, nullable=False, default=dict)
    # Serialized process specs of the bundle, stored once and shared by every instance.
    specs = db.deferred(db.Column(db.Text))  # tens of KB: read only when the spec cache misses
    files = db.relationship('ModelFile', backref='version', order_by='ModelFile.name', lazy='select')


class ModelFile(db.Model):
    __tablename__ = 'model_file'
    __table_args__ = (UniqueConstraint('version_id', 'name'),)
    id = db.Column(db.Integer, primary_key=True)
    version_id = db.Column(db.Integer, db.ForeignKey('model_version.id'), nullable=False)
    name = db.Column(db.String(255), nullable=False)
    content = db.Column(db.LargeBinary, nullable=False)


class ProcessInstance(db.Model):
    __tablename__ = 'process_instance'
    __table_args__ = (Index('ix_instance_model_status', 'model_key', 'status'),)
    id = db.Column(db.Integer, primary_key=True)
    version_id = db.Column(db.Integer, db.ForeignKey('model_version.id'), nullable=False)
    model_key = db.Column(db.String(100), nullable=False)
    version = db.Column(db.Integer, nullable=False)
    process_id = db.Column(db.String(255), nullable=False)
    status = db.Column(db.String(20), nullable=False)
    initiator = db.Column(db.String(100))
    initiator_groups = db.Column(db.JSON, nullable=False, default=list)
    state = db.Column(db.Text)
    # Compare-and-set counter: every saved change increments it.
    lock_version = db.Column(db.Integer, nullable=False, default=0)
    data = db.Column(db.JSON, nullable=False, default=dict)
    # Bits: 1 armed_timer, 2 message_wait hold rows for this instance (spares deletes on each command).
    has_waits = db.Column(db.Integer, nullable=False, default=0)
    started_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    ended_at = db.Column(UTCDateTime)
    __mapper_args__ = {'version_id_col': lock_version}


class HumanTask(db.Model):
    """A ready (or once ready) user, manual or plain task, projected for inbox queries."""
    __tablename__ = 'human_task'
    __table_args__ = (Index('ix_human_task_instance_state', 'instance_id', 'state'),
                      Index('ix_human_task_assignee_state', 'assignee', 'state'))
    id = db.Column(db.String(36), primary_key=True)
    instance_id = db.Column(db.Integer, db.ForeignKey('process_instance.id'), nullable=False)
    name = db.Column(db.String(255), nullable=False)
    title = db.Column(db.String(255))
    lane = db.Column(db.String(255))
    groups = db.Column(db.JSON, nullable=False, default=list)
    users = db.Column(db.JSON, nullable=False, default=list)
    assignee = db.Column(db.String(100))
    state = db.Column(db.String(20), nullable=False, default='ready')
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    due_at = db.Column(UTCDateTime)
    instructions = db.Column(db.Text)
    form_file = db.Column(db.String(255))
    ui_form_file = db.Column(db.String(255))
    completed_by = db.Column(db.String(100))
    completed_at = db.Column(UTCDateTime)


class TaskCandidate(db.Model):
    """Who may act on a ready task: one row per group or user, so inbox queries use an index."""
    __tablename__ = 'task_candidate'
    __table_args__ = (Index('ix_task_candidate_lookup', 'kind', 'name', 'task_id'),)
    task_id = db.Column(db.String(36), db.ForeignKey('human_task.id', ondelete='CASCADE'), primary_key=True)
    kind = db.Column(db.String(5), primary_key=True)  # 'group' or 'user'
    name = db.Column(db.String(100), primary_key=True)


class ArmedTimer(db.Model):
    __tablename__ = 'armed_timer'
    __table_args__ = (Index('ix_armed_timer_due', 'due_at'),)
    task_id = db.Column(db.String(36), primary_key=True)
    instance_id = db.Column(db.Integer, db.ForeignKey('process_instance.id'), nullable=False, index=True)
    name = db.Column(db.String(255), nullable=False)
    due_at = db.Column(UTCDateTime)


class MessageWait(db.Model):
    __tablename__ = 'message_wait'
    __table_args__ = (Index('ix_message_wait_name', 'name'),)
    task_id = db.Column(db.String(36), primary_key=True)
    instance_id = db.Column(db.Integer, db.ForeignKey('process_instance.id'), nullable=False, index=True)
    name = db.Column(db.String(255), primary_key=True)  # an event-based gateway waits for several
    correlation = db.Column(db.JSON, nullable=False, default=dict)


class Incident(db.Model):
    __tablename__ = 'incident'
    id = db.Column(db.Integer, primary_key=True)
    instance_id = db.Column(db.Integer, db.ForeignKey('process_instance.id'), nullable=False, index=True)
    task_id = db.Column(db.String(36))
    task_name = db.Column(db.String(255))
    code = db.Column(db.String(64), nullable=False)
    message = db.Column(db.Text, nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    resolved_at = db.Column(UTCDateTime)


class AuditEvent(db.Model):
    __tablename__ = 'audit_event'
    id = db.Column(db.Integer, primary_key=True)
    instance_id = db.Column(db.Integer, db.ForeignKey('process_instance.id'), nullable=False, index=True)
    at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    actor = db.Column(db.String(100))
    kind = db.Column(db.String(40), nullable=False)
    task_name = db.Column(db.String(255))
    detail = db.Column(db.JSON, nullable=False, default=dict)
    source_ip = db.Column(db.String(64))


class Outbox(db.Model):
    """Work the engine hands out after commit: a service-task request for the workers, or a
    message to route to other instances. Written in the command's transaction, so nothing is
    lost when Redis or a worker is down; dispatchers re-send what stays pending."""
    __tablename__ = 'outbox'
    __table_args__ = (Index('ix_outbox_status_created', 'status', 'created_at'),)
    id = db.Column(db.Integer, primary_key=True)
    key = db.Column(db.String(120), unique=True, nullable=False)
    kind = db.Column(db.String(20), nullable=False)  # 'service' or 'message'
    instance_id = db.Column(db.Integer, db.ForeignKey('process_instance.id'), index=True)
    task_id = db.Column(db.String(36))
    task_name = db.Column(db.String(255))
    payload = db.Column(db.JSON, nullable=False, default=dict)
    status = db.Column(db.String(20), nullable=False, default='pending')  # pending dispatched done failed
    attempts = db.Column(db.Integer, nullable=False, default=0)
    last_error = db.Column(db.Text)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    dispatched_at = db.Column(UTCDateTime)
    finished_at = db.Column(UTCDateTime)
