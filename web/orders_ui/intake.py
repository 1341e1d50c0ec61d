"""The web intake form: the posted fields (line items as line_items-N-field rows) made into the
payload orders.validation.OrderIn checks, its errors keyed by field id, and the order created
through orders.service.create_order (which starts the lifecycle)."""
import re

from marshmallow import ValidationError

from engine.errors import EngineError
from orders import service
from orders.validation import OrderIn, error_paths

FIELDS = ('title', 'type', 'order_type', 'customer', 'site', 'project', 'department', 'cost_center', 'priority',
          'urgency', 'currency', 'amount', 'budget', 'requested_date', 'planned_start', 'planned_end',
          'description')
ITEM_FIELDS = ('description', 'quantity', 'unit', 'unit_price')
MAX_ROWS = 200
_ITEM = re.compile(r'^line_items-(\d{1,3})-(description|quantity|unit|unit_price)$')


def blank_form():
    return {'type': 'other', 'order_type': 'standard', 'priority': 'normal', 'urgency': 'normal',
            'line_items': [dict.fromkeys(ITEM_FIELDS, '')]}


def read_form(form):
    """What was entered, as strings, for showing again: {field: text, 'line_items': [{...}]}"""
    entered = {name: (form.get(name) or '').strip() for name in FIELDS}
    rows = {}
    for key in form:
        match = _ITEM.match(key)
        if match and int(match.group(1)) < MAX_ROWS:
            rows.setdefault(int(match.group(1)), {})[match.group(2)] = (form.get(key) or '').strip()
    items = [{f: rows[n].get(f, '') for f in ITEM_FIELDS} for n in sorted(rows)]
    entered['line_items'] = [i for i in items if any(i.values())] or [dict.fromkeys(ITEM_FIELDS, '')]
    return entered


def _payload(entered):
    payload = {k: v.replace(',', '') if k in ('amount', 'budget') else v
               for k, v in entered.items() if k != 'line_items' and v}
    payload['line_items'] = [{k: (v.replace(',', '') if k in ('quantity', 'unit_price') else v)
                              for k, v in item.items() if v}
                             for item in entered['line_items'] if any(item.values())]
    if 'currency' in payload:
        payload['currency'] = payload['currency'].upper()
    return payload


def field_id(path):
    """'line_items/0/quantity' -> 'line_items-0-quantity' (the input's name)."""
    return path.replace('/', '-')


def submit(entered, actor):
    """(order, None) when created, else (None, {field name: [messages]})."""
    try:
        values = OrderIn().load(_payload(entered))
    except ValidationError as error:
        return None, _errors(error_paths(error.messages))
    try:
        order, _created = service.create_order(values, actor, source='web')
    except EngineError as error:
        details = error.details if isinstance(error.details, list) else []
        found = _errors([(d.get('path', '_form'), d.get('message', error.message)) for d in details])
        return None, found or {'_form': [error.message]}
    return order, None


def _errors(pairs):
    out = {}
    for path, message in pairs:
        out.setdefault(field_id(path), []).append(message)
    return out
