"""Order numbers from a configurable series (ORDER_NUMBER_FORMAT, e.g. `EO-2026-0001`).

One counter row per series and year, incremented by a single UPDATE ... RETURNING inside the
transaction that writes the order: the row lock (PostgreSQL) or the write lock (SQLite) keeps
concurrent orders apart until commit, and a rolled-back order gives its number back, so the
series has no gaps and no duplicates."""
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from . import settings
from .models import OrderCounter

_counter = OrderCounter.__table__


def series_for(fmt, year):
    return f'{fmt}@{year}'


def render(fmt, year, seq):
    return fmt.format(year=year, seq=seq)


def _ensure_row(session, series):
    insert = pg_insert if session.connection().dialect.name == 'postgresql' else sqlite_insert
    session.connection().execute(insert(_counter).values(series=series, value=0).on_conflict_do_nothing())


def next_value(session, series):
    bump = update(_counter).where(_counter.c.series == series).values(value=_counter.c.value + 1) \
        .returning(_counter.c.value)
    value = session.connection().execute(bump).scalar()
    if value is None:  # first number of the series: create its row, then count as usual
        _ensure_row(session, series)
        value = session.connection().execute(bump).scalar()
    return value


def allocate(session, today=None):
    """(series, seq, number) for a new order, counted in the caller's transaction."""
    fmt = settings.get('ORDER_NUMBER_FORMAT')
    year = (today or date.today()).year
    series = series_for(fmt, year)
    seq = next_value(session, series)
    return series, seq, render(fmt, year, seq)


def claim(session, series, seq):
    """Take a number given out before a rollback again: the counter moves up to it if needed."""
    _ensure_row(session, series)
    session.connection().execute(update(_counter).where(_counter.c.series == series, _counter.c.value < seq)
                                 .values(value=seq))


def current(session, series):
    return session.execute(select(_counter.c.value).where(_counter.c.series == series)).scalar()
