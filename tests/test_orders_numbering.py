"""Order numbers under concurrency: threads creating orders at the same moment get distinct
numbers with no gaps, a rolled-back order gives its number back, and each year starts a series."""
import threading
from datetime import date

from sqlalchemy import select

from engine.db import db
from orders import numbering
from orders.models import Order
from tests.support.api import ApiClient
from tests.test_orders_fixtures import make_customer, order_body, orders_api  # noqa: F401

THREADS = 6
PER_THREAD = 5


def _in_threads(app, count, work):
    errors, barrier = [], threading.Barrier(count)

    def run(i):
        try:
            with app.app_context():
                barrier.wait()
                work(i)
        except Exception as error:  # reported below with its thread
            errors.append((i, repr(error)))
        finally:
            with app.app_context():
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def test_concurrent_orders_get_distinct_numbers_without_gaps(orders_api, app):
    make_customer(orders_api, 'Suzhou Water Works', code='SWW')
    answers = []

    def work(i):
        client = ApiClient(app, orders_api.token)
        for n in range(PER_THREAD):
            r = client.post('/orders', order_body('SWW', title=f'Thread {i} order {n}'))
            answers.append((r.status, r.json.get('number') if r.json else r.text))

    _in_threads(app, THREADS, work)
    assert all(status == 201 for status, _ in answers), answers
    year = date.today().year
    expected = {f'EO-{year}-{seq:04d}' for seq in range(1, THREADS * PER_THREAD + 1)}
    assert {number for _, number in answers} == expected
    stored = db.session.execute(select(Order.number, Order.instance_id)).all()
    assert {n for n, _ in stored} == expected and len({i for _, i in stored}) == len(expected)


def test_allocation_is_gapless_when_some_transactions_roll_back(app, db_session):
    kept = []

    def work(i):
        for n in range(20):
            _, seq, _ = numbering.allocate(db.session)
            if (i + n) % 3 == 0:
                db.session.rollback()  # this number is given back
            else:
                db.session.commit()
                kept.append(seq)

    _in_threads(app, 8, work)
    assert sorted(kept) == list(range(1, len(kept) + 1))


def test_each_year_has_its_own_series(app, db_session):
    assert numbering.allocate(db.session, date(2026, 12, 31))[2] == 'EO-2026-0001'
    assert numbering.allocate(db.session, date(2026, 12, 31))[2] == 'EO-2026-0002'
    assert numbering.allocate(db.session, date(2027, 1, 1))[2] == 'EO-2027-0001'
    db.session.commit()
