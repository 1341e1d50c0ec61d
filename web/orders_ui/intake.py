"""The web intake form: the posted fields (line items as line_items-N-field rows) made into the
payload orders.validation.OrderIn checks, its errors keyed by field id, and the order created
through orders.service.create_order (which starts the lifecycle), with the attached files written
in the order's own transaction."""
import re

from marshmallow import ValidationError

from engine.errors import EngineError
from orders import service
from orders.validation import OrderIn, error_paths
from .. import uploads

FIELDS = ('title', 'type', 'order_type', 'customer', 'site', 'project', 'department', 'cost_center', 'priority',
          'urgency', 'currency', 'amount', 'budget', 'requested_date', 'planned_start', 'planned_end',
          'description')
ITEM_FIELDS = ('description', 'quantity', 'unit', 'unit_price')
MAX_ROWS = 200
_ITEM = re.compile(r'^line_items-(\d{1,3})-(description|quantity|unit|unit_price)$')


def blank_form():
    return {'type': 'other', 'order_type': 'standard', 'priority': 'normal', 'urgency': 'normal',
            'line_items': [dict.fromkeys(ITEM_FIELDS, '')]}


def read_form(form, files=None):
    """What was entered, as strings, for showing again: {field: text, 'line_items': [{...}]}, and
    the chosen files ('attachments': [FileStorage]), which a browser cannot be given back."""
    entered = {name: (form.get(name) or '').strip() for name in FIELDS}
    rows = {}
    for key in form:
        match = _ITEM.match(key)
        if match and int(match.group(1)) < MAX_ROWS:
            rows.setdefault(int(match.group(1)), {})[match.group(2)] = (form.get(key) or '').strip()
    items = [{f: rows[n].get(f, '') for f in ITEM_FIELDS} for n in sorted(rows)]
    entered['line_items'] = [i for i in items if any(i.values())] or [dict.fromkeys(ITEM_FIELDS, '')]
    entered['attachments'] = uploads.chosen(files, 'attachments') if files is not None else []
    return entered


def _payload(entered):
    payload = {k: v.replace(',', '') if k in ('amount', 'budget') else v
               for k, v in entered.items() if k not in ('line_items', 'attachments') and v}
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
    """(order, None) when created, else (None, {field name: [messages]}). Nothing is written
    unless every field and every file is good."""
    files, problems = uploads.read(entered['attachments'])
    try:
        values = OrderIn().load(_payload(entered))
    except ValidationError as error:
        errors = _errors(error_paths(error.messages))
        return None, {**errors, 'attachments': problems} if problems else errors
    if problems:
        return None, {'attachments': problems}
    try:
        order, _created = service.create_order(values, actor, source='web', uploads=files)
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
