"""Saved drafts of task forms: one per user and task, dropped when the task is completed."""
from sqlalchemy import delete, select

from engine.db import db
from engine.models import UTCDateTime, utcnow


class TaskDraft(db.Model):
    __tablename__ = 'task_draft'
    task_id = db.Column(db.String(36), db.ForeignKey('human_task.id', ondelete='CASCADE'), primary_key=True)
    username = db.Column(db.String(100), primary_key=True)
    # The form's fields exactly as typed (strings by field path), so a draft may be incomplete.
    values = db.Column(db.JSON, nullable=False, default=dict)
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow)


def load(task_id, username):
    return db.session.execute(select(TaskDraft).where(TaskDraft.task_id == str(task_id),
                                                      TaskDraft.username == username)).scalar_one_or_none()


def save(task_id, username, values):
    draft = load(task_id, username)
    if draft is None:
        draft = TaskDraft(task_id=str(task_id), username=username)
        db.session.add(draft)
    draft.values, draft.updated_at = values, utcnow()
    db.session.commit()
    return draft


def discard(task_id, username=None):
    statement = delete(TaskDraft).where(TaskDraft.task_id == str(task_id))
    if username:
        statement = statement.where(TaskDraft.username == username)
    db.session.execute(statement)
    db.session.commit()
