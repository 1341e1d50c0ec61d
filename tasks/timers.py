"""Fires due timers: one sweep job every few seconds picks exactly the instances whose armed
timer is due (an indexed query on armed_timer.due_at) and advances each through the engine."""
import logging
import time
from datetime import timedelta

from flask import current_app
from redis import Redis
from rq import Queue

from engine import commands
from engine.db import db
from engine.models import ArmedTimer, utcnow

log = logging.getLogger(__name__)
BATCH = 200


def due_query(now, limit):
    return (db.session.query(ArmedTimer.instance_id).filter(ArmedTimer.due_at <= now)
            .order_by(ArmedTimer.due_at).limit(limit))


def due_instance_ids(now=None, limit=BATCH):
    """Instances with a due armed timer, earliest first: a range read of ix_armed_timer_due, so a
    sweep costs the same however many timers are armed but not yet due."""
    ids = []
    for (instance_id,) in due_query(now or utcnow(), limit * 4):
        if instance_id not in ids:
            ids.append(instance_id)
            if len(ids) == limit:
                break
    return ids


def fire_due_timers():
    fired = 0
    for instance_id in due_instance_ids():
        try:
            commands.run_due_timers(instance_id)
            fired += 1
        except Exception:
            db.session.rollback()
            log.exception('timer sweep: instance %s', instance_id)
    return fired


def _queue():
    return Queue(current_app.config['RQ_QUEUE'], connection=Redis.from_url(current_app.config['REDIS_URL']))


def schedule_sweep(queue=None, seconds=None):
    """Schedule the next sweep. Its id names its time slot, so any number of workers scheduling
    the same slot leave one job."""
    queue = queue or _queue()
    seconds = seconds or current_app.config['TIMER_SWEEP_SECONDS']
    slot = int(time.time() // seconds) + 1
    queue.enqueue_in(timedelta(seconds=max(slot * seconds - time.time(), 0.1)), sweep_job,
                     job_id=f'eoms-timer-sweep-{slot}', result_ttl=0, failure_ttl=3600)


def sweep_job():
    try:
        return fire_due_timers()
    finally:
        schedule_sweep()
