"""Imports from the web page: a spreadsheet is checked when it is uploaded (the preview: every
row's problems, nothing written), kept until its uploader confirms it, then imported by workers.

The upload keeps the rows the preview found valid, and those are what the import makes orders of
(a row fixed in the file meanwhile needs a new upload; a customer removed meanwhile fails its rows).
A confirmed import is one outbox row (kind `import`). Its job reserves the order numbers of the
valid rows, in row order, and splits the rows into parts of PART_ROWS, each with an outbox row of
its own (kind `import_part`), all in one transaction: the parts run side by side on as many
workers as there are (on PostgreSQL; SQLite writes one transaction at a time). Each part counts
its progress on its row; the part that finishes last gathers the report onto the import.

A worker killed mid-part leaves the part `running` with a heartbeat that stops; the outbox sends
its job again and the next worker takes the part over once the heartbeat is STALE. Each row's
order is written with an idempotency key naming the import and the row, in the order's own
transaction, so rows imported before the crash are found by their keys and not made twice."""
import logging
import os
import time
from datetime import timedelta

from sqlalchemy import and_, func, or_, select, update

from engine import outbox
from engine.commands import Actor
from engine.db import db
from engine.errors import Conflict, Invalid
from engine.models import utcnow
from engine.projection import jsonable
from . import imports, numbering, sheets
from .models import Customer, IdempotencyKey, OrderImport, OrderImportPart
from .validation import OrderIn

log = logging.getLogger(__name__)
STALE = timedelta(minutes=2)
PROGRESS_SECONDS = 1  # the page asks every second
KIND, PART_KIND = 'import', 'import_part'
PART_ROWS = 500
_table = OrderImport.__table__
_parts = OrderImportPart.__table__


def format_of(filename):
    fmt = os.path.splitext(filename or '')[1].lower().lstrip('.')
    if fmt not in sheets.FORMATS:
        raise Invalid(f'"{filename or "(no name)"}" is not a .csv or .xlsx file: save the sheet as one of those '
                      'and upload it again.', code='invalid_import_file')
    return fmt


def upload(content, filename, actor):
    """Check every row of the file and keep it with its preview (status `checked`). An
    unreadable file raises Invalid and nothing is kept."""
    fmt = format_of(filename)
    report = imports.ImportReport(dry_run=True)
    valid = imports.check(content, fmt, report)
    db.session.rollback()
    report.problems.sort(key=lambda p: (p['row'] or 0))
    imp = OrderImport(filename=os.path.basename(filename)[:255], format=fmt, size=len(content), content=content,
                      status='checked', created_by=actor.username, created_groups=list(actor.groups),
                      rows=report.rows, valid=report.valid, invalid=report.invalid, problems=report.problems,
                      checked=[{'row': row, 'values': jsonable(values), 'customer': list(customer)}
                               for row, values, customer in valid])
    db.session.add(imp)
    db.session.commit()
    return imp


def get(import_id):
    return db.session.get(OrderImport, import_id, populate_existing=True)


def recent(username=None, limit=20):
    """The latest imports, of one user or (None) of everyone."""
    query = select(OrderImport).order_by(OrderImport.id.desc()).limit(limit)
    if username is not None:
        query = query.where(OrderImport.created_by == username)
    return db.session.execute(query).scalars().all()


def _move(import_id, from_status, **values):
    """Change the status only from the one expected; False when someone else moved it first."""
    changed = db.session.execute(update(_table).where(_table.c.id == import_id, _table.c.status == from_status)
                                 .values(**values)).rowcount
    return changed == 1


def _not_checked(imp):
    return Conflict(f'Import {imp.id} ({imp.filename}) is {imp.status} already: nothing was changed.',
                    code='import_not_checked', details={'status': imp.status})


def confirm(imp):
    """Queue a checked import for a worker (the outbox sends it once this commits)."""
    if imp.valid == 0:
        raise Invalid(f'{imp.filename} has no valid row to import: correct the rows listed and upload it again.',
                      code='nothing_to_import')
    if not _move(imp.id, 'checked', status='queued', queued_at=utcnow()):
        db.session.rollback()
        raise _not_checked(get(imp.id))
    outbox.add(KIND, f'import-{imp.id}', payload={'import_id': imp.id})
    db.session.commit()
    outbox.dispatch_new()


def discard(imp):
    if not _move(imp.id, 'checked', status='discarded', content=None, checked=None, finished_at=utcnow()):
        db.session.rollback()
        raise _not_checked(get(imp.id))
    db.session.commit()


def _claim(table, row_id):
    """Take a queued row, or one whose worker has not been heard of for STALE; False if someone
    else has it or it is finished."""
    now = utcnow()
    claimed = db.session.execute(update(table).where(table.c.id == row_id, or_(
        table.c.status == 'queued',
        and_(table.c.status == 'running', table.c.heartbeat_at < now - STALE))).values(
        status='running', heartbeat_at=now)).rowcount == 1
    db.session.commit()
    return claimed


def _fail(import_id, error):
    db.session.rollback()
    log.exception('import %s failed', import_id)
    message = getattr(error, 'message', None) or f'{type(error).__name__}: {error}'
    db.session.execute(update(_table).where(_table.c.id == import_id).values(
        status='failed', error=message[:2000], finished_at=utcnow()))
    db.session.commit()
    return 'failed'


def work(import_id):
    """The import's job: reserve the numbers and split the rows into parts, in one transaction.
    'split', 'done' (no valid row left), 'failed', 'finished' (split before) or 'skipped'
    (another worker is on it)."""
    now = utcnow()
    if not _claim(_table, import_id):
        imp = get(import_id)
        return 'finished' if imp is None or imp.parts or imp.status in ('done', 'failed', 'discarded') else 'skipped'
    db.session.execute(update(_table).where(_table.c.id == import_id, _table.c.started_at.is_(None))
                       .values(started_at=now))
    db.session.commit()
    imp = get(import_id)
    if imp.parts:  # split before its worker died: the parts go on by themselves
        return 'finished'
    try:
        valid, gone = _still_valid(imp.checked or [])
        problems = sorted([*(imp.problems or []), *gone], key=lambda p: (p['row'] or 0))
        db.session.rollback()
        numbers = numbering.reserve(db.session(), len(valid), commit=False)
        size = _part_rows()
        chunks = [list(zip(valid, numbers))[i:i + size] for i in range(0, len(valid), size)]
        for n, chunk in enumerate(chunks, 1):
            db.session.add(OrderImportPart(import_id=import_id, part=n,
                                           rows=[{**row, 'number': list(number)} for row, number in chunk]))
            outbox.add(PART_KIND, f'import-{import_id}-part-{n}', payload={'import_id': import_id, 'part': n})
        db.session.execute(update(_table).where(_table.c.id == import_id).values(
            valid=len(valid), invalid=imp.invalid + len(gone), problems=problems, parts=len(chunks),
            heartbeat_at=utcnow()))
        db.session.commit()
    except Exception as error:  # the import stops before any order was made, and says why
        outbox.forget_new()
        return _fail(import_id, error)
    outbox.dispatch_new()
    if not chunks:
        _finish(import_id)
        return 'done'
    return 'split'


def _still_valid(checked):
    """The previewed rows whose customer is still there (with its name now), and a problem for
    each of the others: exactly what the preview promised, less what was removed since."""
    ids = {r['customer'][0] for r in checked}
    now = {c.id: list(c) for c in db.session.execute(
        select(Customer.id, Customer.code, Customer.name).where(Customer.id.in_(ids)))} if ids else {}
    valid, gone = [], []
    for r in checked:
        customer_id, code = r['customer'][:2]
        if customer_id in now and now[customer_id][1] == code:  # (SQLite may give a removed row's id again)
            valid.append({**r, 'customer': now[customer_id]})
        else:
            gone.append({'row': r['row'], 'column': 'customer',
                         'problem': f'customer "{r["customer"][1]}" was removed after the upload'})
    return valid, gone


def _part_rows():
    """SQLite lets one transaction write at a time: parts side by side would only wait for each
    other (in its sleep-and-retry busy handler), so there an import is one part."""
    return PART_ROWS if db.session.get_bind().dialect.name != 'sqlite' else 10 ** 9


def _part(import_id, part):
    return db.session.execute(select(OrderImportPart).where(
        OrderImportPart.import_id == import_id, OrderImportPart.part == part)).scalar()


def _row_key_prefix(import_id):
    return f'import-{import_id}-row-'


def _earlier_rows(imp, rows):
    """{row number: order number} of these rows that an earlier run made orders of."""
    keys = [f'{_row_key_prefix(imp.id)}{r}' for r in rows]
    found = db.session.execute(select(IdempotencyKey.key, IdempotencyKey.order_number).where(
        IdempotencyKey.username == imp.created_by, IdempotencyKey.key.in_(keys))).all()
    prefix = len(_row_key_prefix(imp.id))
    return {int(key[prefix:]): number for key, number in found}


def work_part(import_id, part_number):
    """A part's job: 'done', 'failed', 'finished' (before) or 'skipped' (another worker is on it)."""
    part = _part(import_id, part_number)
    if part is None or part.status == 'done':
        return 'finished'
    if not _claim(_parts, part.id):
        return 'skipped'
    imp = get(import_id)
    actor = Actor(imp.created_by, tuple(imp.created_groups or ()))
    report = imports.ImportReport(dry_run=False)
    try:
        rows = part.rows
        earlier = _earlier_rows(imp, [r['row'] for r in rows])
        db.session.rollback()
        todo, numbers, schema = [], [], OrderIn()  # loads the values it checked, as JSON
        for r in rows:
            if r['row'] in earlier:
                report.imported += 1
                report.orders.append({'row': r['row'], 'number': earlier[r['row']]})
            else:
                todo.append((r['row'], schema.load(r['values']), imports.CustomerRef(*r['customer'])))
                numbers.append(tuple(r['number']))
        prefix = _row_key_prefix(import_id)
        imports.import_rows(todo, actor, report, keys=lambda n: f'{prefix}{n}', numbers=numbers,
                            progress=_Progress(part.id))
    except Exception as error:  # the import is marked failed; this part and the others still report theirs
        outcome = _fail(import_id, error)
    else:
        outcome = 'done'
    db.session.execute(update(_parts).where(_parts.c.id == part.id).values(
        status='done', imported=report.imported, failed=report.failed, problems=report.problems,
        orders=report.orders, finished_at=utcnow(), heartbeat_at=utcnow()))
    db.session.execute(update(_table).where(_table.c.id == import_id).values(parts_done=_table.c.parts_done + 1))
    db.session.commit()
    imp = get(import_id)
    if imp.parts_done >= imp.parts:
        _finish(import_id)
    return outcome


class _Progress:
    """Writes a part's counts and heartbeat at most every PROGRESS_SECONDS (a commit of its own)."""

    def __init__(self, part_id):
        self.part_id, self.last = part_id, time.monotonic()

    def __call__(self, report):
        if time.monotonic() - self.last < PROGRESS_SECONDS:
            return
        db.session.execute(update(_parts).where(_parts.c.id == self.part_id).values(
            imported=report.imported, failed=report.failed, heartbeat_at=utcnow()))
        db.session.commit()
        self.last = time.monotonic()


def progress(imp):
    """(imported, failed) so far, over its parts while they run."""
    if imp.status != 'running' or not imp.parts:
        return imp.imported, imp.failed
    imported, failed = db.session.execute(select(func.coalesce(func.sum(_parts.c.imported), 0),
                                                 func.coalesce(func.sum(_parts.c.failed), 0))
                                          .where(_parts.c.import_id == imp.id)).one()
    return int(imported), int(failed)


def _finish(import_id):
    """The report of all parts onto the import; it no longer needs its file."""
    parts = db.session.execute(select(_parts.c.imported, _parts.c.failed, _parts.c.problems, _parts.c.orders)
                               .where(_parts.c.import_id == import_id)).all()
    imp = get(import_id)
    problems = list(imp.problems or []) + [p for part in parts for p in part.problems or []]
    orders = [o for part in parts for o in part.orders or []]
    status = 'failed' if imp.status == 'failed' else 'done'
    db.session.execute(update(_table).where(_table.c.id == import_id).values(
        status=status, imported=sum(p.imported for p in parts), failed=sum(p.failed for p in parts),
        problems=sorted(problems, key=lambda p: (p['row'] or 0)), orders=sorted(orders, key=lambda o: o['row']),
        content=None, checked=None, finished_at=utcnow(), heartbeat_at=utcnow()))
    db.session.commit()
