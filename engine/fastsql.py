"""Plain DB-API statements for the projection rows written on every command. Through SQLAlchemy
each of these small statements cost several times its database time; here they run on the
session's own connection, inside the command's transaction.

`later` queues a write until the session next flushes or commits. A command's writes then come
in one burst at its end, after the engine's work and the instance's versioned update: SQLite has
one write lock for the whole database, taken at a transaction's first write and kept to its
commit, so writing early would make every other writer wait (in SQLite's sleep-and-retry busy
handler) while this one computes."""
import json
import re
from contextlib import nullcontext
from datetime import timezone
from functools import lru_cache

from sqlalchemy import event
from sqlalchemy.orm import Session

from .db import db

_LATER = 'eoms_fastsql_later'

_NAMED = re.compile(r':(\w+)')


@lru_cache(maxsize=128)
def _for_driver(sql, paramstyle):
    return _NAMED.sub(r'%(\1)s', sql) if paramstyle == 'pyformat' else sql


def _value(value):
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    if hasattr(value, 'tzinfo') and value.tzinfo is not None:
        return value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def _cursor(session=None):
    connection = (session or db.session).connection()
    return connection.connection.dbapi_connection.cursor(), connection.dialect.paramstyle


def _clean(rows):
    return [{k: _value(v) for k, v in row.items()} for row in rows]


def run(sql, rows=None, session=None, prepared=False):
    """Execute `sql` (named :params) once, or once per row; returns the cursor's rowcount."""
    cursor, style = _cursor(session)
    statement = _for_driver(sql, 'pyformat' if style in ('pyformat', 'format') else 'named')
    try:
        if rows is None:
            cursor.execute(statement)
        elif rows:
            cleaned = rows if prepared else _clean(rows)
            if len(cleaned) == 1:
                cursor.execute(statement, cleaned[0])
            else:
                cursor.executemany(statement, cleaned)
        return cursor.rowcount
    finally:
        cursor.close()


def select_column(sql, params):
    cursor, style = _cursor()
    try:
        cursor.execute(_for_driver(sql, 'pyformat' if style in ('pyformat', 'format') else 'named'),
                       {k: _value(v) for k, v in params.items()})
        return [row[0] for row in cursor.fetchall()]
    finally:
        cursor.close()


def insert_sql(table, columns):
    return f'INSERT INTO {table} ({", ".join(columns)}) VALUES ({", ".join(":" + c for c in columns)})'


def later(sql, rows):
    """Run `sql` once per row when the session next flushes or commits, in this transaction (a
    rollback drops it). Values are taken now."""
    if rows:
        db.session.info.setdefault(_LATER, []).append((sql, _clean(rows)))


# After the flush, not before: the flush's versioned UPDATE of the instance row comes first, so a
# command that lost a race stops there (StaleDataError, retried) before writing rows computed
# from the state it lost with. First in line, so other after_flush hooks read these rows.
@event.listens_for(Session, 'after_flush', insert=True)
def _write_after_flush(session, _context):
    _run_later(session)


@event.listens_for(Session, 'before_commit')
def _write_before_commit(session):
    if session.info.get(_LATER):
        session.flush()
        _run_later(session)


@event.listens_for(Session, 'after_transaction_end')
def _drop_unwritten(session, transaction):
    if transaction.parent is None:  # rolled back (a commit has written them all)
        session.info.pop(_LATER, None)


def _run_later(session):
    queued = session.info.pop(_LATER, None)
    if not queued:
        return
    dbapi_connection = session.connection().connection.dbapi_connection
    # psycopg 3 sends them all before reading any answer: one round trip instead of one each
    pipeline = getattr(dbapi_connection, 'pipeline', None)
    with pipeline() if pipeline is not None else nullcontext():
        for sql, rows in queued:
            run(sql, rows, session, prepared=True)
