"""Plain DB-API statements for the projection rows written on every command. Through SQLAlchemy
each of these small statements cost several times its database time; here they run on the
session's own connection, inside the command's transaction."""
import json
import re
from datetime import timezone
from functools import lru_cache

from .db import db

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


def _cursor():
    connection = db.session.connection()
    return connection.connection.dbapi_connection.cursor(), connection.dialect.paramstyle


def run(sql, rows=None):
    """Execute `sql` (named :params) once, or once per row; returns the cursor's rowcount."""
    cursor, style = _cursor()
    statement = _for_driver(sql, 'pyformat' if style in ('pyformat', 'format') else 'named')
    try:
        if rows is None:
            cursor.execute(statement)
        elif rows:
            cleaned = [{k: _value(v) for k, v in row.items()} for row in rows]
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
