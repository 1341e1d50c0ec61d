"""Imports from the web page: a spreadsheet is checked when it is uploaded (the preview: every
row's problems, nothing written), kept until its uploader confirms it, then imported by a worker,
which reports its progress on the import's row and its report when it is done.

A worker killed mid-import leaves the import `running` with a heartbeat that stops; the outbox
sends the job again and the next worker takes the import over once the heartbeat is STALE. Each
row's order is written with an idempotency key naming the import and the row, in the order's own
transaction, so the rows imported before the crash are found by their keys and not made twice."""
import logging
import os
from datetime import timedelta

from sqlalchemy import and_, or_, select, update

from engine import outbox
from engine.commands import Actor
from engine.db import db
from engine.errors import Conflict, Invalid
from engine.models import utcnow
from . import imports, sheets
from .models import IdempotencyKey, OrderImport

log = logging.getLogger(__name__)
STALE = timedelta(minutes=2)
KIND = 'import'
_table = OrderImport.__table__


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
    imports.check(content, fmt, report)
    db.session.rollback()
    report.problems.sort(key=lambda p: (p['row'] or 0))
    imp = OrderImport(filename=os.path.basename(filename)[:255], format=fmt, size=len(content), content=content,
                      status='checked', created_by=actor.username, created_groups=list(actor.groups),
                      rows=report.rows, valid=report.valid, invalid=report.invalid, problems=report.problems)
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
    if not _move(imp.id, 'checked', status='discarded', content=None, finished_at=utcnow()):
        db.session.rollback()
        raise _not_checked(get(imp.id))
    db.session.commit()


def _claim(import_id):
    now = utcnow()
    claimed = db.session.execute(update(_table).where(_table.c.id == import_id, or_(
        _table.c.status == 'queued',
        and_(_table.c.status == 'running', _table.c.heartbeat_at < now - STALE))).values(
        status='running', started_at=now, heartbeat_at=now)).rowcount == 1
    db.session.commit()
    return claimed


def _progress(import_id, report):
    db.session.execute(update(_table).where(_table.c.id == import_id).values(
        imported=report.imported, failed=report.failed, heartbeat_at=utcnow()))
    db.session.commit()


def _row_key_prefix(import_id):
    return f'import-{import_id}-row-'


def _earlier_rows(imp):
    """{row number: order number} of the rows an earlier run of this import made orders of."""
    prefix = _row_key_prefix(imp.id)
    found = db.session.execute(select(IdempotencyKey.key, IdempotencyKey.order_number).where(
        IdempotencyKey.username == imp.created_by, IdempotencyKey.key.startswith(prefix))).all()
    return {int(key[len(prefix):]): number for key, number in found}


def work(import_id):
    """The worker's part: 'done', 'failed', or 'skipped' (finished, or another worker is on it)."""
    if not _claim(import_id):
        return 'skipped'
    imp = get(import_id)
    actor = Actor(imp.created_by, tuple(imp.created_groups or ()))
    report = imports.ImportReport(dry_run=False)
    try:
        # Checked again: a customer may have been renamed or removed since the preview.
        valid = imports.check(imp.content, imp.format, report)
        earlier = _earlier_rows(imp)
        db.session.rollback()
        for number in sorted(n for n, _values, _customer in valid if n in earlier):
            report.imported += 1
            report.orders.append({'row': number, 'number': earlier[number]})
        todo = [row for row in valid if row[0] not in earlier]
        prefix = _row_key_prefix(import_id)
        imports.import_rows(todo, actor, report, keys=lambda n: f'{prefix}{n}',
                            progress=lambda r: _progress(import_id, r))
    except Exception as error:  # the import stops with what it made so far, and says why
        db.session.rollback()
        log.exception('import %s failed', import_id)
        message = getattr(error, 'message', None) or f'{type(error).__name__}: {error}'
        db.session.execute(update(_table).where(_table.c.id == import_id).values(
            status='failed', error=message[:2000], imported=report.imported, failed=report.failed,
            orders=sorted(report.orders, key=lambda o: o['row']), finished_at=utcnow()))
        db.session.commit()
        return 'failed'
    report.problems.sort(key=lambda p: (p['row'] or 0))
    db.session.execute(update(_table).where(_table.c.id == import_id).values(
        status='done', rows=report.rows, valid=report.valid, invalid=report.invalid, imported=report.imported,
        failed=report.failed, problems=report.problems, orders=sorted(report.orders, key=lambda o: o['row']),
        content=None, finished_at=utcnow(), heartbeat_at=utcnow()))
    db.session.commit()
    return 'done'
