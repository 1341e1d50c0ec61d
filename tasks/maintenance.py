"""The worker's housekeeping thread: fires due timers and re-sends outbox rows that stayed
pending (Redis was down) or were dispatched to a worker that died. Needs only the database, so it
keeps going while Redis is away."""
import logging
import threading
from datetime import timedelta

from flask import current_app

from engine import outbox
from engine.db import db
from .timers import fire_due_timers

log = logging.getLogger(__name__)


def sweep_once():
    fired = fire_due_timers()
    resent = outbox.redispatch_stale(
        dispatched_after=timedelta(seconds=current_app.config['OUTBOX_REDISPATCH_SECONDS']))
    db.session.remove()
    return fired, resent


def start(app, interval):
    stop = threading.Event()

    def loop():
        while not stop.wait(interval):
            with app.app_context():
                try:
                    sweep_once()
                except Exception:
                    log.exception('maintenance sweep failed; trying again in %ss', interval)
                    db.session.remove()

    threading.Thread(target=loop, name='eoms-maintenance', daemon=True).start()
    return stop
