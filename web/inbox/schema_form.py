"""A task form from its JSON Schema and UI schema: the fields the Jinja macros render, and the
conversion between what people type (strings by field path) and the JSON data the engine takes.

Paths are dotted: `customer`, `line_items.0.unit_price`; the hidden `line_items.__len` keeps the
number of rows, so empty rows survive a round trip. A file field's value is the list of file
references it holds (engine.forms); the form sends back the ids it keeps as `<path>.__keep`, and
its new files as `<path>` (task_files.py stores them)."""
from dataclasses import dataclass, field

from flask_babel import gettext as _

from engine.forms import is_file, is_file_list

LEN = '__len'
KEEP = '__keep'
DECISION = 'decision'
APPROVAL_CHOICES = {'approve', 'reject'}


@dataclass
class Field:
    path: str
    key: str
    label: str
    widget: str                 # text textarea number integer date email select radio checkbox array object file
    help: str = None
    required: bool = False
    value: object = ''
    options: list = field(default_factory=list)    # [(value, label)]
    errors: list = field(default_factory=list)
    attrs: dict = field(default_factory=dict)
    rows: list = field(default_factory=list)       # arrays: one list of Fields per row
    children: list = field(default_factory=list)   # objects
    item_label: str = None
    note: str = None                               # file fields: files to choose again

    @property
    def id(self):
        return 'f-' + self.path.replace('.', '-')


def text_for(node, name, lang):
    """`title` / `description` in the user's language: `title_zh` for Chinese when present."""
    if not isinstance(node, dict):
        return None
    if lang != 'en' and node.get(f'{name}_{lang}'):
        return node[f'{name}_{lang}']
    return node.get(name)


def _choices(node):
    """[(const, node)] for an enum given as oneOf/anyOf consts or as enum."""
    for keyword in ('oneOf', 'anyOf'):
        items = node.get(keyword)
        if isinstance(items, list) and items and all(isinstance(i, dict) and 'const' in i for i in items):
            return [(i['const'], i) for i in items]
    if isinstance(node.get('enum'), list):
        return [(value, {}) for value in node['enum']]
    return None


def as_text(value):
    if value is None:
        return ''
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def ordered_keys(properties, ui):
    order = (ui or {}).get('ui:order') or []
    keys = list(properties)
    if not order:
        return keys
    head = [k for k in order if k in properties]
    rest = [k for k in keys if k not in head]
    if '*' in order:
        star = order.index('*')
        before = [k for k in order[:star] if k in properties]
        after = [k for k in order[star + 1:] if k in properties]
        return before + [k for k in rest if k not in after] + after
    return head + rest


def is_approval(schema):
    node = ((schema or {}).get('properties') or {}).get(DECISION)
    choices = _choices(node) if isinstance(node, dict) else None
    return bool(choices) and APPROVAL_CHOICES <= {c for c, _ in choices}


# -- from data and from the request -----------------------------------------------------------

def values_from_data(schema, data, prefix=''):
    """Field texts for a form pre-filled from JSON data (process data or defaults)."""
    values = {}
    data = data if isinstance(data, dict) else {}
    for key, node in ((schema or {}).get('properties') or {}).items():
        if not isinstance(node, dict):
            continue
        path = f'{prefix}{key}'
        value = data.get(key, node.get('default'))
        if is_file(node) or is_file_list(node):
            values[path] = file_references(value)
        elif node.get('type') == 'array':
            items = value if isinstance(value, list) else []
            values[f'{path}.{LEN}'] = str(len(items) or (1 if node.get('minItems') else 0))
            item_schema = node.get('items') or {}
            for index, item in enumerate(items):
                if item_schema.get('type') == 'object':
                    values.update(values_from_data(item_schema, item, f'{path}.{index}.'))
                else:
                    values[f'{path}.{index}'] = as_text(item)
        elif node.get('type') == 'object':
            values.update(values_from_data(node, value, f'{path}.'))
        elif value is not None:
            values[path] = as_text(value)
    return values


def values_from_form(schema, form, prefix=''):
    """Field texts from a submitted form (a MultiDict), only for fields the schema has."""
    values = {}
    for key, node in ((schema or {}).get('properties') or {}).items():
        if not isinstance(node, dict):
            continue
        path = f'{prefix}{key}'
        if is_file(node) or is_file_list(node):
            values[path] = [{'attachment_id': int(i)} for i in form.getlist(f'{path}.{KEEP}') if i.isdigit()]
        elif node.get('type') == 'array':
            try:
                length = max(0, min(int(form.get(f'{path}.{LEN}', 0)), int(node.get('maxItems', 500))))
            except ValueError:
                length = 0
            values[f'{path}.{LEN}'] = str(length)
            item_schema = node.get('items') or {}
            for index in range(length):
                if item_schema.get('type') == 'object':
                    values.update(values_from_form(item_schema, form, f'{path}.{index}.'))
                else:
                    values[f'{path}.{index}'] = form.get(f'{path}.{index}', '')
        elif node.get('type') == 'object':
            values.update(values_from_form(node, form, f'{path}.'))
        elif node.get('type') == 'boolean' and _choices(node) is None:
            values[path] = 'true' if form.get(path) in ('on', 'true', '1') else 'false'
        elif path in form:
            values[path] = form.get(path, '')
    return values


def file_references(value):
    """The file references in a value from process data: one, a list of them, or none."""
    items = value if isinstance(value, list) else [value]
    return [dict(v) for v in items if isinstance(v, dict) and isinstance(v.get('attachment_id'), int)]


def file_paths(schema, values, prefix=''):
    """[(path, node)] of the form's file fields, rows of arrays included."""
    found = []
    for key, node in ((schema or {}).get('properties') or {}).items():
        if not isinstance(node, dict):
            continue
        path = f'{prefix}{key}'
        if is_file(node) or is_file_list(node):
            found.append((path, node))
        elif node.get('type') == 'array' and isinstance(node.get('items'), dict):
            for index in range(int(values.get(f'{path}.{LEN}') or 0)):
                found += file_paths(node['items'], values, f'{path}.{index}.')
        elif node.get('type') == 'object':
            found += file_paths(node, values, f'{path}.')
    return found


def _typed(node, text):
    """The JSON value for a field's text; text that does not parse stays text, so the schema
    check reports it next to the field."""
    text = text.strip() if isinstance(text, str) else text
    kind = node.get('type')
    choices = _choices(node)
    if choices:
        for const, _ in choices:
            if as_text(const) == text:
                return const
        return text
    if kind == 'boolean':
        return {'true': True, 'false': False}.get(text, text)
    if kind in ('number', 'integer'):
        try:
            number = float(text.replace(',', ''))
        except ValueError:
            return text
        if number.is_integer() and ('.' not in text or kind == 'integer'):
            return int(number)
        return number
    return text


def data_from_values(schema, values, prefix=''):
    """JSON data from field texts. Empty fields are left out, so `required` reports them."""
    data = {}
    for key, node in ((schema or {}).get('properties') or {}).items():
        if not isinstance(node, dict):
            continue
        path = f'{prefix}{key}'
        if is_file_list(node):
            if path in values:
                data[key] = list(values[path] or [])
        elif is_file(node):
            if values.get(path):
                data[key] = values[path][0]
        elif node.get('type') == 'array':
            if f'{path}.{LEN}' not in values:
                continue
            item_schema = node.get('items') or {}
            items = []
            for index in range(int(values.get(f'{path}.{LEN}') or 0)):
                if item_schema.get('type') == 'object':
                    items.append(data_from_values(item_schema, values, f'{path}.{index}.'))
                else:
                    text = values.get(f'{path}.{index}', '')
                    if text != '':
                        items.append(_typed(item_schema, text))
            data[key] = items
        elif node.get('type') == 'object':
            child = data_from_values(node, values, f'{path}.')
            if child:
                data[key] = child
        elif values.get(path, '') != '':
            data[key] = _typed(node, values[path])
    return data


def add_row(schema, values, path):
    values = dict(values)
    length = int(values.get(f'{path}.{LEN}') or 0)
    node = _node_at(schema, path)
    if node is not None and length < int(node.get('maxItems', 500)):
        values[f'{path}.{LEN}'] = str(length + 1)
    return values


def remove_row(schema, values, path, index):
    """Drop row `index` of the array at `path`, shifting the rows after it up."""
    values = dict(values)
    length = int(values.get(f'{path}.{LEN}') or 0)
    if not 0 <= index < length:
        return values
    prefix = f'{path}.'
    moved = {}
    for key, value in values.items():
        if not key.startswith(prefix) or key == f'{path}.{LEN}':
            continue
        head, _, rest = key[len(prefix):].partition('.')
        if not head.isdigit():
            continue
        row = int(head)
        if row == index:
            continue
        target = row - 1 if row > index else row
        moved[f'{prefix}{target}' + (f'.{rest}' if rest else '')] = value
    values = {k: v for k, v in values.items() if not (k.startswith(prefix) and k[len(prefix):].split('.')[0].isdigit())}
    values.update(moved)
    values[f'{path}.{LEN}'] = str(length - 1)
    return values


def _node_at(schema, path):
    node = schema
    for part in path.split('.'):
        if part.isdigit():
            node = (node or {}).get('items')
        else:
            node = ((node or {}).get('properties') or {}).get(part)
    return node if isinstance(node, dict) else None


# -- fields to render -----------------------------------------------------------------------------

def _widget(node, ui):
    wanted = (ui or {}).get('ui:widget')
    kind = node.get('type')
    if is_file(node) or is_file_list(node):
        return 'file'
    if _choices(node) is not None:
        return 'radio' if wanted in ('radio', 'radios') else 'select'
    if kind == 'boolean':
        return 'radio' if wanted in ('radio', 'radios') else 'checkbox'
    if kind == 'integer':
        return 'integer'
    if kind == 'number':
        return 'number'
    if kind == 'array':
        return 'array'
    if kind == 'object':
        return 'object'
    if wanted == 'textarea':
        return 'textarea'
    fmt = node.get('format')
    return {'date': 'date', 'email': 'email'}.get(fmt) or (wanted if wanted in ('email', 'date', 'password') else 'text')


def _attrs(node, ui, widget):
    attrs = {}
    for name, key in (('min', 'minimum'), ('max', 'maximum')):
        if isinstance(node.get(key), (int, float)) and not isinstance(node.get(key), bool):
            attrs[name] = as_text(node[key])
    if widget in ('text', 'textarea', 'email') and isinstance(node.get('maxLength'), int):
        attrs['maxlength'] = node['maxLength']
    if widget == 'integer':
        attrs['step'] = '1'
        attrs['inputmode'] = 'numeric'
    elif widget == 'number':
        attrs['step'] = 'any'
        attrs['inputmode'] = 'decimal'
    if widget == 'textarea':
        attrs['rows'] = ((ui or {}).get('ui:options') or {}).get('rows', 4)
    placeholder = (ui or {}).get('ui:placeholder')
    if placeholder:
        attrs['placeholder'] = placeholder
    if widget == 'file':
        accept = ((ui or {}).get('ui:options') or {}).get('accept')
        if isinstance(accept, str) and accept:
            attrs['accept'] = accept
        if is_file_list(node):
            attrs['multiple'] = 'multiple'
    return attrs


def build_fields(schema, ui, values, errors, lang, prefix='', skip=()):
    """Fields for the object schema's properties, in ui:order, with values and error messages
    (errors: {path: [message]})."""
    fields = []
    properties = (schema or {}).get('properties') or {}
    required = set((schema or {}).get('required') or ())
    for key in ordered_keys(properties, ui):
        node = properties[key]
        node_ui = (ui or {}).get(key) or {}
        if not isinstance(node, dict) or key in skip or node_ui.get('ui:widget') == 'hidden':
            continue
        path = f'{prefix}{key}'
        widget = _widget(node, node_ui)
        f = Field(path=path, key=key, label=text_for(node, 'title', lang) or key, widget=widget,
                  help=node_ui.get('ui:help') or text_for(node, 'description', lang), required=key in required,
                  value=values.get(path, ''), errors=errors.get(path, []), attrs=_attrs(node, node_ui, widget))
        choices = _choices(node)
        if choices is not None:
            f.options = [(as_text(c), text_for(n, 'title', lang) or as_text(c)) for c, n in choices]
        elif widget == 'radio':  # a boolean shown as two radios
            f.options = [('true', _('Yes')), ('false', _('No'))]
        if widget == 'array':
            item = node.get('items') or {}
            item_ui = node_ui.get('items') or {}
            f.item_label = text_for(item, 'title', lang) or f.label
            f.attrs = {'min_items': node.get('minItems', 0), 'max_items': node.get('maxItems', 500)}
            for index in range(int(values.get(f'{path}.{LEN}') or 0)):
                if item.get('type') == 'object':
                    f.rows.append(build_fields(item, item_ui, values, errors, lang, f'{path}.{index}.'))
                else:
                    cell = Field(path=f'{path}.{index}', key=str(index), label=f.item_label,
                                 widget=_widget(item, item_ui), value=values.get(f'{path}.{index}', ''),
                                 errors=errors.get(f'{path}.{index}', []), required=True)
                    f.rows.append([cell])
        elif widget == 'object':
            f.children = build_fields(node, node_ui, values, errors, lang, f'{path}.')
        elif widget == 'file':
            f.value = file_references(values.get(path))
            f.errors = [m for p, messages in errors.items() if p == path or p.startswith(f'{path}.')
                        for m in messages]
        fields.append(f)
    return fields
