"""Due timers fire by themselves: the sweep picks exactly the due instances, and runs as an RQ
job on a real Redis."""
import os
import time

from redis import Redis
from rq import Queue, SimpleWorker

from tests.conftest import DATA
from tests.support.api import folder_files


def _start(api, cure_time):
    assert api.deploy('cool_down', folder_files(os.path.join(DATA, 'timer_sweep'))).status in (200, 201)
    inst = api.start('cool_down', {'cure_time': cure_time}).json
    assert inst['status'] == 'waiting' and inst['ready_tasks'] == []
    assert [t['name'] for t in inst['timers']] == ['Curing time']
    return inst['id']


def test_sweep_fires_only_due_timers(api, app):
    from tasks.timers import due_instance_ids, fire_due_timers
    later = _start(api, 'PT1H')
    soon = _start(api, 'PT0.3S')
    time.sleep(0.5)
    with app.app_context():
        assert due_instance_ids() == [soon]
        assert fire_due_timers() == 1
    assert [t['title'] for t in api.ready(soon)] == ['Inspect slab']
    assert api.instance(soon)['timers'] == []
    assert len(api.instance(later)['timers']) == 1
    assert api.ready(later) == []


def test_sweep_runs_as_an_rq_job(api, app, redis_server):
    from tasks.timers import sweep_job
    iid = _start(api, 'PT0.2S')
    time.sleep(0.4)
    with app.app_context():
        queue = Queue(app.config['RQ_QUEUE'], connection=Redis.from_url(redis_server.url))
        queue.empty()
        job = queue.enqueue(sweep_job)
        SimpleWorker([queue], connection=queue.connection).work(burst=True)
        assert job.get_status(refresh=True) == 'finished', job.latest_result()
        assert job.return_value() == 1
        scheduled = queue.scheduled_job_registry.get_job_ids()
        assert any(j.startswith('eoms-timer-sweep-') for j in scheduled), 'the sweep schedules its next run'
        queue.empty()
    assert [t['title'] for t in api.ready(iid)] == ['Inspect slab']
