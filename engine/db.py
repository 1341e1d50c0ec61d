"""The one SQLAlchemy handle every package shares."""
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine

# Stable constraint names so Alembic migrations work the same on SQLite and PostgreSQL.
NAMING = {
    'ix': 'ix_%(column_0_N_label)s',
    'uq': 'uq_%(table_name)s_%(column_0_N_name)s',
    'ck': 'ck_%(table_name)s_%(constraint_name)s',
    'fk': 'fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s',
    'pk': 'pk_%(table_name)s',
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING))


@event.listens_for(Engine, 'connect')
def _sqlite_pragmas(dbapi_connection, _record):
    """WAL lets readers run beside the one writer; the busy timeout makes writers queue."""
    if type(dbapi_connection).__module__.startswith('sqlite3'):
        cur = dbapi_connection.cursor()
        cur.execute('PRAGMA journal_mode=WAL')
        cur.execute('PRAGMA busy_timeout=30000')
        # Safe with WAL: a crash loses at most the last commits, never corrupts the file.
        cur.execute('PRAGMA synchronous=NORMAL')
        cur.execute('PRAGMA foreign_keys=ON')
        cur.close()


def is_sqlite():
    return db.engine.dialect.name == 'sqlite'
