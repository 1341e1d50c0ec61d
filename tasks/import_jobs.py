"""Order imports confirmed in the import page, run by a worker: the outbox dispatcher that
queues one, and the job (orders.import_jobs.work does the importing)."""
from engine import outbox
from engine.db import db
from engine.models import Outbox
from orders import import_jobs
from .service_jobs import queue

# RQ stops a job at its time limit; an import of the largest file allowed takes well under this.
IMPORT_SECONDS = 3 * 3600


def enqueue_import(row):
    """Outbox dispatcher for imports; raises (row stays pending) when Redis is down."""
    queue().enqueue(run_import, row.key, job_id=f'{row.key}_{row.attempts + 1}', job_timeout=IMPORT_SECONDS,
                    result_ttl=24 * 3600, failure_ttl=7 * 24 * 3600)
    outbox.mark(row.key, 'dispatched', only_from=('pending', 'dispatched'))
    db.session.commit()


def run_import(key):
    found = Outbox.query.filter_by(key=key).first()
    db.session.rollback()
    if found is None or found.status in ('done', 'failed'):
        return 'skipped'
    outcome = import_jobs.work(found.payload['import_id'])
    if outcome != 'skipped' or import_jobs.get(found.payload['import_id']).status in ('done', 'failed'):
        outbox.mark(key, 'failed' if outcome == 'failed' else 'done')
        db.session.commit()
    return outcome
