"""Order numbers from a configurable series (ORDER_NUMBER_FORMAT, e.g. `EO-2026-0001`).

One counter row per series and year, incremented by a single UPDATE ... RETURNING inside the
transaction that writes the order: the row lock (PostgreSQL) or the write lock (SQLite) keeps
concurrent orders apart until commit, and a rolled-back order gives its number back, so the
series has no gaps and no duplicates. A bulk import reserves the numbers of all its rows in one
step (`reserve`), in row order; a row that then fails to import (rare: its rows were checked),
or an import cut short, leaves its number unused."""
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


def next_value(session, series, count=1):
    """The counter after adding count (the last of the values given out)."""
    bump = update(_counter).where(_counter.c.series == series).values(value=_counter.c.value + count) \
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


def reserve(session, count, today=None, commit=True):
    """[(series, seq, number)] of count new orders, committed at once (unless the caller commits
    them with what it writes about them): the numbers stay theirs."""
    if count <= 0:
        return []
    fmt = settings.get('ORDER_NUMBER_FORMAT')
    year = (today or date.today()).year
    series = series_for(fmt, year)
    last = next_value(session, series, count)
    if commit:
        session.commit()
    return [(series, seq, render(fmt, year, seq)) for seq in range(last - count + 1, last + 1)]


def claim(session, series, seq):
    """Take a number given out before a rollback again: the counter moves up to it if needed."""
    _ensure_row(session, series)
    session.connection().execute(update(_counter).where(_counter.c.series == series, _counter.c.value < seq)
                                 .values(value=seq))


def current(session, series):
    return session.execute(select(_counter.c.value).where(_counter.c.series == series)).scalar()
