"""Creating orders: from the API (with an optional idempotency key) and from a bulk import."""
import hashlib
import json
import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from engine.db import db
from engine.errors import Conflict, EngineError
from . import customers, lifecycle, settings
from .models import IdempotencyKey, Order

log = logging.getLogger(__name__)


def request_hash(payload):
    """The same JSON body, whatever its key order or spacing, hashes the same."""
    canonical = json.dumps(payload, sort_keys=True, separators=(',', ':'), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode('utf-8')).hexdigest()


def _replay(row, body_hash):
    if row.request_hash != body_hash:
        raise Conflict(f'The Idempotency-Key "{row.key}" was already used with a different request body '
                       f'(it created order {row.order_number}); use a new key for a new order.',
                       code='idempotency_key_reused', details={'order_number': row.order_number})
    order = db.session.execute(select(Order).where(Order.number == row.order_number)).scalar()
    if order is None:  # cannot happen: the key is written in the order's own transaction
        raise Conflict(f'The Idempotency-Key "{row.key}" names order {row.order_number}, which is gone.',
                       code='idempotency_key_orphaned')
    return order


def _key_row(username, key):
    return db.session.get(IdempotencyKey, (username, key), populate_existing=True)


def create_order(values, actor, *, customer=None, source='api', idempotency_key=None, body_hash=None, uploads=()):
    """values: loaded by validation.OrderIn. Returns (order, created): created is False when the
    idempotency key and body repeat an earlier request, which gives back the order it made.
    The order, its lifecycle instance and its files (attachments.Upload, checked) are committed
    together (see lifecycle.py)."""
    if idempotency_key is not None:
        earlier = _key_row(actor.username, idempotency_key)
        if earlier is not None:
            return _replay(earlier, body_hash), False
    idempotency = (idempotency_key, body_hash) if idempotency_key is not None else None
    try:
        pending = start_order(values, actor, customer=customer, source=source, idempotency=idempotency,
                              uploads=uploads)
    except IntegrityError as error:
        db.session.rollback()
        if idempotency_key is not None:
            earlier = _key_row(actor.username, idempotency_key)
            if earlier is not None:  # a concurrent request with the same key won
                return _replay(earlier, body_hash), False
        log.warning('order not created: %s', error)
        raise Conflict('The order clashed with one written at the same moment; send it again.',
                       code='order_conflict') from None
    return db.session.get(Order, pending.order_id), True


def start_order(values, actor, *, customer=None, source='api', idempotency=None, uploads=(), version=None,
                number=None):
    """Write the order and start its lifecycle (version: the latest when None), in one
    transaction; returns the PendingOrder (number, order_id, instance). customer: anything with
    id, code and name; looked up from values['customer'] when None. number: one reserved by
    numbering.reserve, else the next of the series is taken in this transaction."""
    if customer is None:
        customer = customers.resolve(values['customer'])
        if customer is None:
            raise customers.unknown(values['customer'])
    pending = lifecycle.PendingOrder(values, customer, actor, settings.get('DEFAULT_CURRENCY'), source, idempotency,
                                     uploads, number)
    db.session.rollback()  # end any read transaction: the first statement from here on writes
    try:
        lifecycle.start(pending, version)
    except (EngineError, IntegrityError):
        db.session.rollback()
        raise
    return pending


def get_order(number):
    return db.session.execute(select(Order).where(Order.number == number)).scalar()
