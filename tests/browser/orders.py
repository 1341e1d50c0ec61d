"""Orders for the browser tests, moved through the engine's own commands as people would."""
from datetime import timedelta

from engine import commands
from engine.commands import Actor
from engine.db import db
from engine.models import HumanTask, utcnow

REQUESTER = Actor('liu.yang', ('requester',), '127.0.0.1')


def start_approval(title, customer, amount, urgency='normal', order_type='standard'):
    """An order_approval instance waiting at "Project manager approval"; returns its id."""
    inst = commands.start('order_approval', REQUESTER, data={
        'title': title, 'customer': customer, 'amount': amount, 'urgency': urgency, 'order_type': order_type,
        'description': f'{title} for {customer}.'})
    return inst.id


def ready_task(instance_id, title):
    row = HumanTask.query.filter_by(instance_id=instance_id, state='ready', title=title).first()
    assert row is not None, f'"{title}" is not ready in instance {instance_id}'
    return row


def make_overdue(instance_id, hours=5):
    """Move the due time of the instance's ready tasks into the past (a missed SLA)."""
    HumanTask.query.filter_by(instance_id=instance_id, state='ready').update(
        {'due_at': utcnow() - timedelta(hours=hours)})
    db.session.commit()


def age(instance_id, days):
    HumanTask.query.filter_by(instance_id=instance_id, state='ready').update(
        {'created_at': utcnow() - timedelta(days=days)})
    db.session.commit()
