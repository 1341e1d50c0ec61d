"""Bulk import of orders from CSV or XLSX (layout in sheets.py).

Every row is checked first, all of them, against the same schema as the REST API, with the
customers looked up in one query. A dry run stops there. Otherwise each valid row becomes an
order in a transaction of its own, which also starts its lifecycle instance (see lifecycle.py):
a row is imported whole or not at all, and invalid rows are only reported, by row and column.

On PostgreSQL the row transactions commit without waiting for the disk, and one last commit
that does wait ends the import: PostgreSQL writes its log in order, so once that commit is
durable every row before it is too, and the report is only sent after it."""
import logging
from collections import namedtuple
from contextlib import contextmanager
from dataclasses import dataclass, field

from marshmallow import ValidationError
from sqlalchemy import event, func, or_, select, text
from sqlalchemy.exc import IntegrityError

from engine import deployments
from engine.db import db
from engine.errors import EngineError, Invalid
from . import numbering, service, sheets
from .models import Customer
from .stages import LIFECYCLE
from .validation import OrderIn, error_paths

log = logging.getLogger(__name__)
CustomerRef = namedtuple('CustomerRef', 'id code name')
KEY_HASH = 'import'  # an import row's key is never replayed with a body, so no hash to compare


@dataclass
class ImportReport:
    dry_run: bool
    rows: int = 0
    valid: int = 0
    invalid: int = 0
    imported: int = 0
    failed: int = 0
    problems: list = field(default_factory=list)
    orders: list = field(default_factory=list)

    def problem(self, row, column, message):
        self.problems.append({'row': row, 'column': column, 'problem': message})


def _record_to_payload(record):
    """A row's cells as the API's JSON body, and for each payload path prefix the column group."""
    payload, groups = {}, {'item': {}, 'milestone': {}}
    for column, value in record.items():
        match = sheets.GROUP.match(column)
        if match:
            kind, n, name = match.group(1), int(match.group(2)), match.group(3)
            groups[kind].setdefault(n, {})[name] = value
        elif column not in sheets.EXPORT_ONLY:
            payload[column] = value
    numbers = {}
    for kind, key in (('item', 'line_items'), ('milestone', 'milestones')):
        ordered = sorted(groups[kind])
        if ordered:
            payload[key] = [groups[kind][n] for n in ordered]
        numbers[key] = ordered
    return payload, numbers


def _column(path, numbers):
    """`line_items/0/quantity` -> `item_1_quantity` (the group number the row really used)."""
    parts = path.split('/')
    for key, prefix in (('line_items', 'item'), ('milestones', 'milestone')):
        if parts[0] == key:
            if len(parts) >= 3 and parts[1].isdigit() and int(parts[1]) < len(numbers[key]):
                return f'{prefix}_{numbers[key][int(parts[1])]}_{parts[2]}'
            return f'{prefix}_1_description' if key == 'line_items' else key
    return None if parts[0] == '_schema' else parts[0]


def _customers(refs):
    """{ref: CustomerRef or 'ambiguous'} for every ref that names a customer by code or name."""
    refs = {r for r in refs if r}
    found = {}
    lowered = {r.lower() for r in refs}
    for chunk_start in range(0, len(refs), 500):
        chunk = sorted(refs)[chunk_start:chunk_start + 500]
        lower_chunk = [r.lower() for r in chunk]
        for c in db.session.execute(select(Customer.id, Customer.code, Customer.name).where(
                or_(Customer.code.in_(chunk), func.lower(Customer.name).in_(lower_chunk)))):
            ref = CustomerRef(c.id, c.code, c.name)
            if c.code in refs:
                found[c.code] = ref
            name = c.name.lower()
            if name in lowered:
                found.setdefault(('name', name), []).append(ref)
    out = {}
    for r in refs:
        if r in found:
            out[r] = found[r]
        else:
            named = found.get(('name', r.lower()), [])
            out[r] = named[0] if len(named) == 1 else ('ambiguous' if named else None)
    return out


def check(content, fmt, report):
    """[(row number, values, customer)] of the valid rows; problems go into the report."""
    try:
        _, records = sheets.read(content, fmt)
    except sheets.SheetError as error:
        raise Invalid(str(error), code='invalid_import_file', details=[{'row': None, 'column': None,
                                                                         'problem': str(error)}])
    schema = OrderIn()
    customers = _customers({r.get('customer', '') for _, r in records})
    valid = []
    report.rows = len(records)
    for number, record in records:
        payload, numbers = _record_to_payload(record)
        bad = False
        try:
            values = schema.load(payload)
        except ValidationError as error:
            for path, message in error_paths(error.messages):
                report.problem(number, _column(path, numbers), message)
            values, bad = None, True
        ref = payload.get('customer')
        customer = customers.get(ref) if ref else None
        if ref and customer is None:
            report.problem(number, 'customer', f'unknown customer "{ref}"')
            bad = True
        elif customer == 'ambiguous':
            report.problem(number, 'customer', f'several customers are named "{ref}": use the code')
            bad = True
        if bad:
            report.invalid += 1
        else:
            valid.append((number, values, customer))
    report.valid = len(valid)
    return valid


def _no_commit_wait(session, transaction, connection):
    connection.exec_driver_sql('SET LOCAL synchronous_commit TO OFF')


@contextmanager
def durable_at_end():
    """Row commits that do not wait for the disk, then one that does (PostgreSQL only)."""
    session = db.session()
    if session.get_bind().dialect.name != 'postgresql':
        yield
        return
    event.listen(session, 'after_begin', _no_commit_wait)
    try:
        yield
    finally:
        event.remove(session, 'after_begin', _no_commit_wait)
        db.session.rollback()
        db.session.execute(text('SELECT txid_current()'))  # a transaction id: its commit waits for the log
        db.session.commit()


def run(content, fmt, actor, dry_run=True):
    if fmt not in sheets.FORMATS:
        raise Invalid(f'Unknown import format "{fmt}"; send a .csv or .xlsx file.', code='invalid_import_file')
    report = ImportReport(dry_run=dry_run)
    valid = check(content, fmt, report)
    db.session.rollback()
    if not dry_run:
        import_rows(valid, actor, report)
    report.problems.sort(key=lambda p: (p['row'] or 0))
    return report


def import_rows(valid, actor, report, keys=None, progress=None, numbers=None):
    """Make each checked row an order, in a transaction of its own, into the report.
    keys: row number -> an idempotency key that row's order is written with; progress(report) is
    called after each row; numbers: the rows' reserved order numbers (reserved here
    when None)."""
    # Every row starts the version that is the latest now (not deployed: one clear 404, not one per row).
    version = deployments.latest(LIFECYCLE).version if valid else None
    if numbers is None:
        numbers = numbering.reserve(db.session(), len(valid))
    with durable_at_end():
        for (number, values, customer), reserved in zip(valid, numbers):
            idempotency = (keys(number), KEY_HASH) if keys is not None else None
            try:
                pending = service.start_order(values, actor, customer=customer, source='import', version=version,
                                              idempotency=idempotency, number=reserved)
            except (EngineError, IntegrityError) as error:
                db.session.rollback()
                report.failed += 1
                report.problem(number, None, f'not imported: {getattr(error, "message", None) or error}')
                continue
            report.imported += 1
            report.orders.append({'row': number, 'number': pending.number})
            if progress is not None:
                progress(report)
