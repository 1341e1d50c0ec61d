"""Full-text search of the order list (FTS5 on SQLite, tsvector on PostgreSQL: the suite runs on
whichever DATABASE_URL names): part of a customer's name in Latin or Chinese script, the number,
titles and line items, words combined, odd input."""
import pytest

from engine.db import db
from tests.test_orders_fixtures import create_order, make_customer, orders_api  # noqa: F401


@pytest.fixture
def catalogue(orders_api):
    api = orders_api
    make_customer(api, '苏州水务集团有限公司', code='SZWATER')
    make_customer(api, 'Hangzhou Lakeside Offices', code='HLO')
    make_customer(api, 'Müller Anlagenbau GmbH', code='MUELLER')
    pump = create_order(api, 'SZWATER', title='Pump station retrofit')
    office = create_order(api, 'HLO', title='Office fit-out, 3rd floor', line_items=[
        {'description': 'Glass partition walls', 'quantity': 120, 'unit': 'm2', 'unit_price': 500}])
    plant = create_order(api, 'MUELLER', title='Kläranlage Erweiterung', line_items=[
        {'description': '离心泵 DN200', 'quantity': 3, 'unit': '台', 'unit_price': 52000}])
    return api, pump['number'], office['number'], plant['number']


def found(api, q, **filters):
    params = '&'.join([f'q={q}'] + [f'{k}={v}' for k, v in filters.items()])
    r = api.get(f'/orders?{params}')
    assert r.status == 200, r
    return sorted(o['number'] for o in r.json['items'])


def test_part_of_a_customers_name(catalogue):
    api, pump, office, plant = catalogue
    assert found(api, '水务') == [pump]
    assert found(api, '苏州') == [pump]
    assert found(api, '水务集团') == [pump]
    assert found(api, 'lakeside') == [office]
    assert found(api, 'Lake') == [office]
    assert found(api, 'hangzhou%20offi') == [office]
    assert found(api, 'muller') == [plant]
    assert found(api, 'Müll') == [plant]
    assert db.engine.dialect.name in ('sqlite', 'postgresql')


def test_number_title_and_line_items(catalogue):
    api, pump, office, plant = catalogue
    assert found(api, pump) == [pump]
    assert found(api, pump.rsplit('-', 1)[0]) == sorted([pump, office, plant])
    assert found(api, 'retrofit') == [pump]
    assert found(api, 'partition') == [office]
    assert found(api, '离心泵') == [plant]
    assert found(api, 'DN200') == [plant]
    assert found(api, 'centrifugal') == [pump]  # the default line items of the fixture orders
    assert found(api, 'glass%20walls') == [office]


def test_every_word_must_match_and_filters_still_apply(catalogue):
    api, pump, office, plant = catalogue
    assert found(api, 'pump%20station') == [pump]
    assert found(api, 'pump%20lakeside') == []
    assert found(api, 'pump', customer='SZWATER') == [pump]
    assert found(api, 'pump', customer='HLO') == []
    assert found(api, 'nothing-like-this') == []


@pytest.mark.parametrize('q', ['%22', '*', 'a%22%20OR%20%22b', '%3A*', '(', 'NEAR(x', '%26%7C!', "o'brien", '-', '%5C'])
def test_odd_input_never_breaks_the_query(catalogue, q):
    api = catalogue[0]
    r = api.get(f'/orders?q={q}')
    assert r.status == 200, r
