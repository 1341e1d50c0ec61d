"""Service tasks on RQ workers and timers: bare RQ as the limit, then a process of 10 chained
service tasks through the engine, then the timer sweep with many armed timers.

    .venv/bin/python bench/service_tasks.py [--quick] [--forking]

Phases (each prints its figures, or its error, and the next one runs regardless):
  (1) bare RQ: no-op jobs, 1 and 2 workers: jobs/s, and enqueue-to-finish latency one job at a time
  (2) 10 chained service tasks (operator `bench.noop`) started through engine.commands.start, 1 and 2
      workers: service tasks/s with many instances in flight, and the round trip from the outbox row's
      created_at to the instance having advanced (next outbox row's created_at, or ended_at), one
      instance at a time, split into the requests sent through the queue and those the reporting
      worker kept and ran itself; the CPU time the workers used per service task
  (3) timers: instances waiting at a PT1H intermediate timer, a few due in 1 s; fire_due_timers in a
      loop: how late each due one fired, and the time of one sweep with 1,000 vs 10,000 not-yet-due timers
Workers are subprocesses of this script (`--worker`) running the worker classes of `flask worker`:
without a fork, each job in a fresh app context (`--no-fork`), or with --forking as it runs by
default, a forked work horse per job; on a private Redis. The database is a temporary SQLite file, or the
PostgreSQL at BENCH_DATABASE_URL when set (its schema `public` is dropped and rebuilt).
Figures are printed, never asserted. The last line is `service/bare-rq ratio: X.XX`.
"""
import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, '.venv')

try:
    import SpiffWorkflow  # noqa: F401
except ImportError:  # started with a python outside the project's virtualenv: use the venv's
    venv_python = os.path.join(VENV, 'bin', 'python')
    if os.path.exists(venv_python) and not os.environ.get('EOMS_BENCH_REEXEC'):
        os.environ['EOMS_BENCH_REEXEC'] = '1'
        os.execv(venv_python, [venv_python, os.path.abspath(__file__), *sys.argv[1:]])
    raise

# bench/ holds modules named like the project's packages (orders.py): import from the root only
BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [ROOT] + [p for p in sys.path if os.path.abspath(p or '.') not in (BENCH_DIR, ROOT)]

from tasks.operators import operator  # noqa: E402

CHAIN = 10
QUEUE = 'eoms-bench'
SIZES = {
    'quick': {'bare_jobs': 500, 'bare_latency': 100, 'instances': 40, 'latency_instances': 4,
              'timers_real': 1000, 'timers_total': 10000, 'due': 5, 'sweeps': 20},
    'full': {'bare_jobs': 3000, 'bare_latency': 300, 'instances': 200, 'latency_instances': 15,
             'timers_real': 10000, 'timers_total': 10000, 'due': 10, 'sweeps': 50},
}
SWEEP_INTERVAL = 0.25  # seconds between fire_due_timers calls in phase (3)


@operator('bench.noop', 'Does nothing (benchmark only).', retries=0, backoff_seconds=0.1, timeout_seconds=10)
def bench_noop():
    return None


# The bare RQ job: a no-op that returns when it ran (so the enqueuer can compute latency). Named
# by its import path: the workers run this file as __main__, which RQ does not resolve.
NOOP_JOB = 'time.time'


def throughput_helpers():
    """bench/engine_throughput.py, for its database helpers (build, close, PostgreSQL set-up)."""
    import importlib.util
    if 'engine_throughput' not in sys.modules:
        spec = importlib.util.spec_from_file_location('engine_throughput', os.path.join(BENCH_DIR, 'engine_throughput.py'))
        module = importlib.util.module_from_spec(spec)
        sys.modules['engine_throughput'] = module
        spec.loader.exec_module(module)
    return sys.modules['engine_throughput']


def out(line=''):
    print(line, flush=True)


def verdict(ok):
    return 'met' if ok else 'MISSED'


def pct(values, q):
    if not values:
        return float('nan')
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def run_phase(name, fn, *args):
    try:
        return fn(*args)
    except Exception as error:
        traceback.print_exc(file=sys.stderr)
        out(f'{name}: FAILED {type(error).__name__}: {str(error)[:500]}')
        return None


# -- diagrams -------------------------------------------------------------------------------

NS = ('xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
      'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"')


def chain_bpmn(n=CHAIN):
    tasks, flows = [], []
    previous = 'start'
    for i in range(1, n + 1):
        tasks.append(
            f'<bpmn:serviceTask id="s{i}" name="Step {i}"><bpmn:extensionElements>'
            f'<spiffworkflow:serviceTaskOperator id="bench.noop" resultVariable="r{i}"><spiffworkflow:parameters /></spiffworkflow:serviceTaskOperator>'
            f'</bpmn:extensionElements><bpmn:incoming>f{i}</bpmn:incoming>'
            f'<bpmn:outgoing>f{i + 1}</bpmn:outgoing></bpmn:serviceTask>')
        flows.append(f'<bpmn:sequenceFlow id="f{i}" sourceRef="{previous}" targetRef="s{i}" />')
        previous = f's{i}'
    flows.append(f'<bpmn:sequenceFlow id="f{n + 1}" sourceRef="{previous}" targetRef="end" />')
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions {NS} id="d_chain" '
            f'targetNamespace="http://bpmn.io/schema/bpmn"><bpmn:process id="bench_chain" name="Bench chain" '
            f'isExecutable="true"><bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
            + ''.join(tasks)
            + f'<bpmn:endEvent id="end"><bpmn:incoming>f{n + 1}</bpmn:incoming></bpmn:endEvent>'
            + ''.join(flows) + '</bpmn:process></bpmn:definitions>\n').encode()


def timer_bpmn(key, duration):
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions {NS} id="d_{key}" '
            f'targetNamespace="http://bpmn.io/schema/bpmn"><bpmn:process id="{key}" name="{key}" '
            f'isExecutable="true"><bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
            f'<bpmn:intermediateCatchEvent id="wait" name="Wait"><bpmn:incoming>f1</bpmn:incoming>'
            f'<bpmn:outgoing>f2</bpmn:outgoing><bpmn:timerEventDefinition id="wait_def">'
            f'<bpmn:timeDuration>"{duration}"</bpmn:timeDuration></bpmn:timerEventDefinition>'
            f'</bpmn:intermediateCatchEvent><bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming>'
            f'</bpmn:endEvent><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait" />'
            f'<bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="end" /></bpmn:process>'
            f'</bpmn:definitions>\n').encode()


# -- app, database, workers -------------------------------------------------------------------

def make_app(db_url, redis_url):
    from web import create_app
    return create_app({'SQLALCHEMY_DATABASE_URI': db_url, 'REDIS_URL': redis_url, 'RQ_QUEUE': QUEUE})


def build_app(db_url, redis_url):
    import logging
    from flask_migrate import upgrade
    from engine.db import db
    engine_throughput = throughput_helpers()
    app = make_app(db_url, redis_url)
    engine_throughput.quiet_logs()
    with app.app_context():
        logging.disable(logging.INFO)
        try:
            upgrade()
        finally:
            logging.disable(logging.NOTSET)
        db.session.remove()
    engine_throughput.forget_caches()
    return app


def worker_main():
    """`--worker`: one worker on the bench queue as `flask worker --no-fork` runs it (each job in a
    fresh app context, in the worker process), or with BENCH_WORKER_FORKING=1 as `flask worker`
    runs it by default (a forked work horse per job)."""
    import logging
    from redis import Redis
    from rq import Queue
    from web.cli.worker import AppSimpleWorker, AppWorker
    app = make_app(os.environ['BENCH_WORKER_DB'], os.environ['BENCH_WORKER_REDIS'])
    logging.getLogger('rq').setLevel(logging.WARNING)
    connection = Redis.from_url(os.environ['BENCH_WORKER_REDIS'])
    worker_class = AppWorker if os.environ.get('BENCH_WORKER_FORKING') == '1' else AppSimpleWorker
    worker = worker_class([Queue(QUEUE, connection=connection)], connection=connection, app=app)
    worker.work(burst=False, with_scheduler=False, logging_level='WARNING')


def cpu_seconds(pids):
    """CPU time (user + system) the processes and their reaped children used so far, from /proc."""
    total = 0
    for pid in pids:
        try:
            with open(f'/proc/{pid}/stat') as f:
                fields = f.read().rsplit(')', 1)[1].split()
        except OSError:
            continue
        total += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    return total / os.sysconf('SC_CLK_TCK')


class Workers:
    def __init__(self, db_url, redis_url, tmp, forking=False):
        self.env = dict(os.environ, BENCH_WORKER_DB=db_url, BENCH_WORKER_REDIS=redis_url, PYTHONUNBUFFERED='1',
                        BENCH_WORKER_FORKING='1' if forking else '0')
        self.redis_url, self.tmp = redis_url, tmp
        self.procs = []

    def count(self):
        from redis import Redis
        from rq import Queue, Worker
        conn = Redis.from_url(self.redis_url)
        return len(Worker.all(queue=Queue(QUEUE, connection=conn)))

    def scale(self, n, timeout=60):
        while len(self.procs) > n:
            self._stop(self.procs.pop())
        while len(self.procs) < n:
            path = os.path.join(self.tmp, f'worker-{len(self.procs)}-{time.time():.0f}.log')
            with open(path, 'wb') as log:
                proc = subprocess.Popen(
                    [sys.executable, os.path.abspath(__file__), '--worker'], cwd=ROOT, env=self.env,
                    stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            proc.log_path = path
            self.procs.append(proc)
        deadline = time.monotonic() + timeout
        while self.count() != n:
            for p in self.procs:
                if p.poll() is not None:
                    with open(p.log_path, encoding='utf-8', errors='replace') as f:
                        raise RuntimeError(f'worker exited with {p.returncode}: {f.read()[-1500:]}')
            if time.monotonic() > deadline:
                raise RuntimeError(f'{n} workers did not register within {timeout} s')
            time.sleep(0.05)

    def _stop(self, p):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=10)

    def pids(self):
        return [p.pid for p in self.procs]

    def close(self):
        while self.procs:
            self._stop(self.procs.pop())


# -- (1) bare RQ ----------------------------------------------------------------------------

def bare_rq(redis_url, jobs, latency_jobs):
    from redis import Redis
    from rq import Queue
    from rq.job import Job
    conn = Redis.from_url(redis_url)
    q = Queue(QUEUE, connection=conn)
    # latency, one job in flight at a time
    lat = []
    for _ in range(latency_jobs):
        t0 = time.time()
        job = q.enqueue(NOOP_JOB, result_ttl=600)
        while True:
            job.refresh()
            if job.get_status(refresh=False) == 'finished':
                break
            time.sleep(0.0005)
        lat.append((job.return_value() - t0) * 1000)
    # throughput: all enqueued at once
    t0 = time.time()
    ids = [q.enqueue(NOOP_JOB, result_ttl=600).id for _ in range(jobs)]
    while q.count or q.started_job_registry.count:
        time.sleep(0.01)
    ends = [j.return_value() for j in Job.fetch_many(ids, connection=conn) if j is not None]
    while len(ends) < jobs or None in ends:
        time.sleep(0.01)
        ends = [j.return_value() for j in Job.fetch_many(ids, connection=conn) if j is not None]
    rate = jobs / (max(ends) - t0)
    return rate, lat


# -- (2) service tasks through the engine ----------------------------------------------------

def start_chain(app):
    from engine import commands
    with app.app_context():
        return commands.start('bench_chain', commands.Actor('bench', ('admin',)), data={}).id


def wait_completed(app, ids, timeout, poll=0.002):
    """Polls the database; figures come from its timestamps, so `poll` only paces the run."""
    from engine.db import db
    from engine.models import ProcessInstance
    deadline = time.monotonic() + timeout
    with app.app_context():
        while True:
            open_ = (db.session.query(db.func.count(ProcessInstance.id))
                     .filter(ProcessInstance.id.in_(ids), ProcessInstance.status != 'completed').scalar())
            db.session.rollback()
            if not open_:
                return
            if time.monotonic() > deadline:
                statuses = db.session.query(ProcessInstance.status, db.func.count()).filter(
                    ProcessInstance.id.in_(ids)).group_by(ProcessInstance.status).all()
                raise RuntimeError(f'{open_} of {len(ids)} instances not completed after {timeout} s: {statuses}')
            time.sleep(poll)


def round_trips(app, ids, parts=None):
    """Per service task: ms from its outbox row's created_at to the instance having advanced.
    `parts` collects where it went, for requests sent through the queue and for those the worker
    kept (written dispatched by the report before them, run by the same job): row written ->
    enqueued (dispatched_at) -> reported done by the worker's command (finished_at) -> next row
    written or instance ended."""
    from engine.models import Outbox, ProcessInstance
    parts = parts if parts is not None else new_parts()
    trips = []
    with app.app_context():
        for inst in ProcessInstance.query.filter(ProcessInstance.id.in_(ids)).all():
            rows = (Outbox.query.filter_by(instance_id=inst.id, kind='service').order_by(Outbox.created_at).all())
            if len(rows) != CHAIN:
                raise RuntimeError(f'instance {inst.id}: {len(rows)} outbox rows, expected {CHAIN}')
            marks = [r.created_at for r in rows] + [inst.ended_at]
            trips += [(b - a).total_seconds() * 1000 for a, b in zip(marks, marks[1:])]
            for r, following in zip(rows, marks[1:]):
                if r.dispatched_at and r.finished_at:
                    kind = parts['kept' if r.dispatched_at == r.created_at else 'queued']
                    kind['trip'].append((following - r.created_at).total_seconds() * 1000)
                    kind['enqueued'].append((r.dispatched_at - r.created_at).total_seconds() * 1000)
                    kind['reported'].append((r.finished_at - r.dispatched_at).total_seconds() * 1000)
                    kind['advanced'].append((following - r.finished_at).total_seconds() * 1000)
    return trips


def new_parts():
    return {kind: {'trip': [], 'enqueued': [], 'reported': [], 'advanced': []} for kind in ('queued', 'kept')}


def describe_parts(parts):
    lines = []
    for kind, how in (('queued', 'through the queue'), ('kept', 'kept by the worker that reported the one before')):
        found = parts[kind]
        if found['trip']:
            lines.append(f'    {len(found["trip"])} {how}: round trip p50 {pct(found["trip"], 50):.1f} ms = '
                         + ', '.join(f'{pct(found[k], 50):.1f} ms {k}' for k in ('enqueued', 'reported', 'advanced')))
    return lines


def first_last(app, ids):
    from engine.db import db
    from engine.models import ProcessInstance
    with app.app_context():
        lo, hi = db.session.query(db.func.min(ProcessInstance.started_at),
                                  db.func.max(ProcessInstance.ended_at)).filter(ProcessInstance.id.in_(ids)).one()
    return (hi - lo).total_seconds()


def service_chain(app, workers, instances, latency_instances):
    # round trip, one instance in flight at a time
    lat_ids = []
    for _ in range(latency_instances):
        iid = start_chain(app)
        wait_completed(app, [iid], 60)
        lat_ids.append(iid)
    parts = new_parts()
    trips = round_trips(app, lat_ids, parts)
    # throughput, all instances started at once through commands.start
    cpu = cpu_seconds(workers.pids()), time.process_time()
    t0 = time.time()
    ids = [start_chain(app) for _ in range(instances)]
    started = time.time() - t0
    wait_completed(app, ids, 60 + instances, poll=0.05)
    used = cpu_seconds(workers.pids()) - cpu[0], time.process_time() - cpu[1]
    seconds = first_last(app, ids)
    loaded_parts = new_parts()
    loaded = round_trips(app, ids, loaded_parts)
    return {'rate': CHAIN * instances / seconds, 'trips': trips, 'loaded': loaded, 'started': started,
            'parts': parts, 'loaded_parts': loaded_parts,
            'worker_cpu_ms': used[0] * 1000 / (CHAIN * instances), 'bench_cpu_ms': used[1] * 1000 / instances}


# -- (3) timers ------------------------------------------------------------------------------

def start_many(app, key, n):
    from engine import commands
    actor = commands.Actor('bench', ('admin',))
    with app.app_context():
        return [commands.start(key, actor, data={}).id for _ in range(n)]


def multiply_timers(app, total):
    """Copies armed_timer rows of real waiting instances (fresh task ids, same due times) up to `total`."""
    import uuid
    from sqlalchemy import insert
    from engine.db import db
    from engine.models import ArmedTimer
    with app.app_context():
        rows = [(t.instance_id, t.name, t.due_at) for t in ArmedTimer.query.all()]
        have = len(rows)
        extra = [{'task_id': str(uuid.uuid4()), 'instance_id': rows[i % have][0], 'name': rows[i % have][1],
                  'due_at': rows[i % have][2]} for i in range(total - have)]
        for k in range(0, len(extra), 2000):
            db.session.execute(insert(ArmedTimer), extra[k:k + 2000])
        db.session.commit()
        return ArmedTimer.query.count()


def sweep_ms(app, sweeps):
    from engine.db import db
    from tasks.timers import fire_due_timers
    times = []
    with app.app_context():
        for _ in range(sweeps):
            t0 = time.perf_counter()
            fired = fire_due_timers()
            times.append((time.perf_counter() - t0) * 1000)
            db.session.rollback()
            if fired:
                raise RuntimeError(f'a sweep fired {fired} instances that were not due')
    return statistics.median(times)


def query_plan(app):
    from engine.db import db, is_sqlite
    from sqlalchemy import text
    with app.app_context():
        if not is_sqlite():
            return None
        from datetime import datetime
        from tasks.timers import due_query
        sweep = due_query(datetime(2000, 1, 1), 800).statement.compile(
            db.engine, compile_kwargs={'literal_binds': True})
        rows = db.session.execute(text(f'EXPLAIN QUERY PLAN {sweep}')).fetchall()
        return '; '.join(r[-1] for r in rows)


def timers(app, size):
    from engine import deployments
    from engine.db import db
    from engine.models import ArmedTimer, ProcessInstance
    from tasks.timers import fire_due_timers
    with app.app_context():
        deployments.deploy('bench_wait', {'bench_wait.bpmn': timer_bpmn('bench_wait', 'PT1H')}, actor='bench')
        deployments.deploy('bench_due', {'bench_due.bpmn': timer_bpmn('bench_due', 'PT1S')}, actor='bench')
    real = size['timers_real']
    t0 = time.perf_counter()
    start_many(app, 'bench_wait', 1000)
    with app.app_context():
        armed = ArmedTimer.query.count()
    ms_1k = sweep_ms(app, size['sweeps'])
    start_many(app, 'bench_wait', real - 1000)
    created = time.perf_counter() - t0
    total = multiply_timers(app, size['timers_total']) if size['timers_total'] > real else real
    ms_10k = sweep_ms(app, size['sweeps'])
    how = (f'{real} instances started through commands.start in {created:.1f} s'
           + (f', armed_timer rows copied up to {total}' if total > real else ''))
    out(f'(3) timers: {how}')
    out(f'    one sweep, nothing due: {ms_1k:.2f} ms with {armed} armed, {ms_10k:.2f} ms with {total} armed '
        f'(median of {size["sweeps"]}; x{ms_10k / ms_1k:.1f})  target: no growth (at most x1.5): '
        f'{verdict(ms_10k <= ms_1k * 1.5)}')
    plan = query_plan(app)
    if plan:
        ranged = 'ix_armed_timer_due' in plan and 'SEARCH' in plan
        out(f'    SQLite query plan of the sweep: {plan}'
            + ('' if ranged else '  (not a range search on ix_armed_timer_due: the sweep reads every armed timer)'))
    # a few due in 1 s among them
    due_ids = start_many(app, 'bench_due', size['due'])
    with app.app_context():
        due_at = {iid: at for iid, at in db.session.query(ArmedTimer.instance_id, ArmedTimer.due_at)
                  .filter(ArmedTimer.instance_id.in_(due_ids))}
        db.session.rollback()
    pending = set(due_ids)
    deadline = time.monotonic() + 30
    sweeps, sweep_times = 0, []
    with app.app_context():
        while pending and time.monotonic() < deadline:
            t = time.perf_counter()
            fire_due_timers()
            sweep_times.append((time.perf_counter() - t) * 1000)
            sweeps += 1
            done = {i for i, s in db.session.query(ProcessInstance.id, ProcessInstance.status)
                    .filter(ProcessInstance.id.in_(pending)) if s == 'completed'}
            db.session.rollback()
            pending -= done
            if pending:
                time.sleep(SWEEP_INTERVAL)
        late = []
        for inst in ProcessInstance.query.filter(ProcessInstance.id.in_(due_ids)).all():
            if inst.ended_at and due_at.get(inst.id):
                late.append((inst.ended_at - due_at[inst.id]).total_seconds())
        waiting = ArmedTimer.query.filter(ArmedTimer.instance_id.in_(
            db.session.query(ProcessInstance.id).filter(ProcessInstance.model_key == 'bench_wait'))).count()
    worst = max(late) if late else float('nan')
    out(f'    {len(late)} of {len(due_ids)} PT1S timers fired, sweeping every {SWEEP_INTERVAL} s among {total} armed: '
        f'late by ' + ', '.join(f'{x:.2f}' for x in sorted(late)) + f' s  target <= 2 s: '
        f'{verdict(len(late) == len(due_ids) and worst <= 2)}')
    out(f'    {waiting} not-yet-due timers still armed afterwards')


# -- main ------------------------------------------------------------------------------------

def database(tmp):
    url = os.environ.get('BENCH_DATABASE_URL')
    if not url:
        return f'sqlite:///{os.path.join(tmp, "bench.db")}', 'temporary SQLite'
    engine_throughput = throughput_helpers()
    url = engine_throughput.pg_url()
    reason = engine_throughput.prepare_pg(url)
    if reason:
        raise RuntimeError(reason)
    return url, 'PostgreSQL (BENCH_DATABASE_URL)'


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--quick', action='store_true', help='fewer jobs, instances and real timers (< 60 s)')
    parser.add_argument('--forking', action='store_true',
                        help="workers as `flask worker` runs by default, a forked work horse per job, instead "
                             "of as `flask worker --no-fork`")
    parser.add_argument('--worker', action='store_true', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker_main()
    size = SIZES['quick' if args.quick else 'full']
    os.chdir(ROOT)
    load = os.getloadavg()[0]
    started = time.perf_counter()
    tmp = tempfile.mkdtemp(prefix='eoms-bench-svc-')
    redis_proc = app = workers = None
    results = {}
    try:
        from tasks.redis_server import start_embedded, stop
        db_url, db_label = database(tmp)
        redis_url, redis_proc = start_embedded(data_dir=os.path.join(tmp, 'redis'))
        out(f'{"quick" if args.quick else "full"} run on {os.cpu_count()} CPUs, load average {load:.2f} at start; '
            f'{db_label}, private Redis, '
            + ('forking workers (flask worker)' if args.forking else 'workers without fork (flask worker --no-fork)'))
        app = build_app(db_url, redis_url)
        with app.app_context():
            from engine import deployments
            deployments.deploy('bench_chain', {'bench_chain.bpmn': chain_bpmn()}, actor='bench')
        workers = Workers(db_url, redis_url, tmp, forking=args.forking)
        for w in (1, 2):
            def phase1(w=w):
                workers.scale(w)
                rate, lat = bare_rq(redis_url, size['bare_jobs'], size['bare_latency'])
                results[('bare', w)] = rate
                out(f'(1) bare RQ, {w} worker{"s" if w > 1 else " "}: {rate:7.0f} jobs/s ({size["bare_jobs"]} jobs); '
                    f'latency one at a time p50 {pct(lat, 50):.1f} ms, p95 {pct(lat, 95):.1f} ms')
            run_phase(f'(1) bare RQ, {w} workers', phase1)
        for w in (1, 2):
            def phase2(w=w):
                workers.scale(w)
                start_chain(app)  # warm-up: caches of the workers and of this process
                got = service_chain(app, workers, size['instances'], size['latency_instances'])
                rate, trips, loaded = got['rate'], got['trips'], got['loaded']
                results[('svc', w)] = rate
                results[('p50', w)] = pct(trips, 50)
                bare = results.get(('bare', w))
                ratio = f', {rate / bare:.2f} x bare RQ' if bare else ''
                out(f'(2) {CHAIN} service tasks, {w} worker{"s" if w > 1 else " "}: {rate:6.0f} service tasks/s '
                    f'({size["instances"]} instances started in {got["started"]:.1f} s{ratio})'
                    + (f'  target >= 200: {verdict(rate >= 200)}' if w == 2 else ''))
                out(f'    CPU: workers {got["worker_cpu_ms"]:.2f} ms per service task, this process '
                    f'{got["bench_cpu_ms"]:.1f} ms per instance started (load average now {os.getloadavg()[0]:.2f})')
                out(f'    round trip one instance at a time: p50 {pct(trips, 50):.1f} ms, p95 {pct(trips, 95):.1f} ms '
                    f'({len(trips)} tasks)  target p50 <= 15 ms: {verdict(pct(trips, 50) <= 15)}; '
                    f'with all in flight: p50 {pct(loaded, 50):.0f} ms, p95 {pct(loaded, 95):.0f} ms')
                for line in describe_parts(got['parts']):
                    out(line)
            run_phase(f'(2) service tasks, {w} workers', phase2)
        workers.close()
        run_phase('(3) timers', timers, app, size)
    finally:
        if workers is not None:
            workers.close()
        if app is not None:
            try:
                engine_throughput = throughput_helpers()
                engine_throughput.close_app(app)
            except Exception:
                pass
        if redis_proc is not None:
            stop(redis_proc)
        shutil.rmtree(tmp, ignore_errors=True)
    out(f'({time.perf_counter() - started:.0f} s in all)')
    svc, bare = results.get(('svc', 2)), results.get(('bare', 2))
    if svc and bare:
        out(f'service/bare-rq with 2 workers target >= 0.60: {verdict(svc / bare >= 0.6)}')
        out(f'service/bare-rq ratio: {svc / bare:.2f}')
    else:
        out('service/bare-rq ratio: n/a')


if __name__ == '__main__':
    main()
