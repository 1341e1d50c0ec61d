"""Rows of work handed out after commit. Written in the command's transaction; dispatched once the
transaction commits, by the dispatcher registered for their kind; re-sent while they stay pending."""
import logging
from datetime import timedelta

from sqlalchemy import insert, or_, update

from .db import db
from .models import Outbox, utcnow

log = logging.getLogger(__name__)
_dispatchers = {}
# A row sent this often without an outcome (its job keeps dying or timing out) is given up on.
MAX_DISPATCHES = 5
_SESSION_KEY = 'eoms_outbox_new'


def register(kind, dispatch):
    """dispatch(row) hands the row on (enqueue, route); raising leaves it pending for a retry."""
    _dispatchers[kind] = dispatch


def add(kind, key, instance_id=None, task_id=None, task_name=None, payload=None):
    db.session.execute(insert(Outbox), [{
        'key': key, 'kind': kind, 'instance_id': instance_id, 'task_id': task_id, 'task_name': task_name,
        'payload': payload or {}, 'status': 'pending', 'attempts': 0, 'created_at': utcnow()}])
    db.session.info.setdefault(_SESSION_KEY, []).append(key)


def forget_new():
    db.session.info.pop(_SESSION_KEY, None)


def dispatch_new():
    """After a commit: hand on the rows that commit wrote."""
    keys = db.session.info.pop(_SESSION_KEY, [])
    for key in keys:
        row = Outbox.query.filter_by(key=key).first()
        if row is not None:
            dispatch(row)


def dispatch(row):
    dispatcher = _dispatchers.get(row.kind)
    if dispatcher is None:
        return False
    try:
        dispatcher(row)
    except Exception as error:  # Redis down, a routing failure: stays pending, re-sent later
        db.session.rollback()
        log.warning('outbox %s stays pending: %s', row.key, error)
        db.session.execute(update(Outbox).where(Outbox.key == row.key, Outbox.status == 'pending')
                           .values(last_error=str(error)[:2000]))
        db.session.commit()
        return False
    return True


def mark(key, status, error=None, only_from=None):
    """Set a row's status; `only_from` guards a transition (e.g. pending -> dispatched)."""
    values = {'status': status}
    if status == 'dispatched':
        values.update(dispatched_at=utcnow(), attempts=Outbox.attempts + 1)
    if status in ('done', 'failed'):
        values['finished_at'] = utcnow()
    if error is not None:
        values['last_error'] = str(error)[:2000]
    statement = update(Outbox).where(Outbox.key == key)
    if only_from:
        statement = statement.where(Outbox.status.in_(only_from))
    return db.session.execute(statement.values(**values)).rowcount


def redispatch_stale(pending_after=timedelta(seconds=10), dispatched_after=timedelta(minutes=10), limit=200):
    """Re-send rows left pending (Redis was down) or dispatched long ago without an outcome (a
    worker died mid-job). Outcomes are idempotent, so a second run does no harm."""
    now = utcnow()
    for row in (Outbox.query.filter(Outbox.status == 'dispatched', Outbox.attempts >= MAX_DISPATCHES,
                                    Outbox.dispatched_at < now - dispatched_after).limit(limit).all()):
        _give_up(row)
    rows = (Outbox.query.filter(or_((Outbox.status == 'pending') & (Outbox.created_at < now - pending_after),
                                    (Outbox.status == 'dispatched') & (Outbox.attempts < MAX_DISPATCHES)
                                    & (Outbox.dispatched_at < now - dispatched_after)))
            .order_by(Outbox.id).limit(limit).all())
    sent = 0
    for row in rows:
        sent += bool(dispatch(row))
    return sent


def _give_up(row):
    message = (f'no outcome after {row.attempts} dispatches: the job keeps dying or running past its time limit'
               + (f' (last error: {row.last_error})' if row.last_error else ''))
    if row.kind == 'service' and row.instance_id:
        from .commands import finish_service_task  # commands imports this module
        finish_service_task(row.instance_id, row.task_id, row.key, error=message, error_code='no_outcome',
                            attempts=row.attempts)
    mark(row.key, 'failed', error=message, only_from=('dispatched',))
    db.session.commit()


def counts():
    rows = db.session.query(Outbox.kind, Outbox.status, db.func.count()).group_by(Outbox.kind, Outbox.status)
    return [{'kind': k, 'status': s, 'count': n} for k, s, n in rows]
