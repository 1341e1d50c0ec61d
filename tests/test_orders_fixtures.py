"""Fixtures and helpers the order tests share (imported by the tests/test_orders_*.py modules;
this module holds no tests itself)."""
import pytest
from sqlalchemy import text

from engine.db import db
from tests.support.api import shipped_bundle

LIFECYCLE = 'order_lifecycle'


@pytest.fixture
def orders_api(api):
    """The admin API client with order_lifecycle deployed and an empty search index."""
    if db.engine.dialect.name == 'sqlite':
        db.session.execute(text('DELETE FROM order_fts'))
        db.session.commit()
    r = api.deploy(LIFECYCLE, shipped_bundle())
    assert r.status == 201, r
    return api


def make_customer(api, name, code=None, **extra):
    body = {'name': name, **({'code': code} if code else {}), **extra}
    r = api.post('/customers', body)
    assert r.status == 201, r
    return r.json


def order_body(customer, **overrides):
    body = {
        'title': 'Pump station retrofit', 'customer': customer, 'type': 'construction',
        'requested_date': '2027-03-31', 'description': 'Replace two pumps and the control cabinet.',
        'line_items': [{'description': 'Centrifugal pump DN150', 'quantity': 2, 'unit': 'set', 'unit_price': 185000},
                       {'description': 'Installation and commissioning', 'quantity': 1, 'unit': 'lot',
                        'unit_price': 90000}],
    }
    body.update(overrides)
    return body


def create_order(api, customer, **overrides):
    r = api.post('/orders', order_body(customer, **overrides))
    assert r.status == 201, r
    return r.json
