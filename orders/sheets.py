"""The spreadsheet layout of orders, shared by the import template, the import and the export,
and reading/writing it as CSV or XLSX.

One row per order. Line items sit in numbered column groups on the same row:
item_1_description, item_1_quantity, item_1_unit, item_1_unit_price, item_2_..., as many groups
as needed (up to 200); milestones likewise (milestone_1_name, milestone_1_planned_start,
milestone_1_planned_end, ...). Dates are YYYY-MM-DD (or date cells in XLSX), amounts plain
numbers. Lines before the header whose first cell starts with `#` are comments (the CSV template
explains itself that way); in XLSX the template has an `Instructions` sheet.
"""
import codecs
import csv
import io
import re
from datetime import date, datetime

from openpyxl import Workbook, load_workbook

from .validation import ORDER_TYPES, PRIORITIES, URGENCIES, WORK_TYPES

FORMATS = ('csv', 'xlsx')
MIME = {'csv': 'text/csv; charset=utf-8',
        'xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'}
ORDER_COLUMNS = [
    ('title', 'required; at most 200 characters'),
    ('customer', "required; the customer's code (or its exact name)"),
    ('type', 'kind of work: ' + ', '.join(WORK_TYPES) + ' (default other)'),
    ('order_type', 'what the approval rules read: ' + ', '.join(ORDER_TYPES) + ' (default standard)'),
    ('site', 'optional'), ('project', 'optional'), ('department', 'optional'), ('cost_center', 'optional'),
    ('owner', 'username of the person responsible (default: the importing user)'),
    ('priority', ', '.join(PRIORITIES) + ' (default normal)'),
    ('urgency', ', '.join(URGENCIES) + ' (default normal)'),
    ('currency', 'three-letter code (default CNY)'),
    ('amount', 'number >= 0; the sum of the line items when empty'),
    ('budget', 'number >= 0: what the order may cost; the amount when empty'),
    ('description', 'optional; at most 4000 characters'),
    ('requested_date', 'requested delivery date, YYYY-MM-DD'),
    ('planned_start', 'YYYY-MM-DD'), ('planned_end', 'YYYY-MM-DD, not before planned_start'),
]
ITEM_FIELDS = [('description', 'required per item'), ('quantity', 'number > 0'),
               ('unit', 'e.g. m, t, set, day'), ('unit_price', 'number >= 0')]
MILESTONE_FIELDS = [('name', 'required per milestone'), ('planned_start', 'YYYY-MM-DD'),
                    ('planned_end', 'YYYY-MM-DD, required per milestone')]
# Written by the export for people to read; the import skips them, so an export imports again.
EXPORT_ONLY = ['number', 'stage', 'status', 'overdue', 'cost_overrun', 'customer_name', 'actual_cost',
               'instance_id', 'created_at', 'created_by']
GROUP = re.compile(r'^(item|milestone)_(\d+)_(\w+)$')
MAX_GROUPS = {'item': 200, 'milestone': 50}
TEMPLATE_ITEMS = 3


def item_columns(count):
    return [f'item_{n}_{name}' for n in range(1, count + 1) for name, _ in ITEM_FIELDS]


def milestone_columns(count):
    return [f'milestone_{n}_{name}' for n in range(1, count + 1) for name, _ in MILESTONE_FIELDS]


def template_columns():
    return [c for c, _ in ORDER_COLUMNS] + item_columns(TEMPLATE_ITEMS) + milestone_columns(1)


def instructions():
    lines = ['One row per order; the first row names the columns, in any order. Leave a cell empty for '
             'its default.',
             f'Line items: column groups item_N_description, item_N_quantity, item_N_unit, item_N_unit_price '
             f'for N = 1, 2, ... (add groups as needed, up to {MAX_GROUPS["item"]}); every order needs one.',
             'Milestones (optional): milestone_N_name, milestone_N_planned_start, milestone_N_planned_end.',
             'Send the file to POST /api/v1/orders/import?dry_run=1 first: it checks every row and imports '
             'nothing. Without dry_run, valid rows become orders and invalid ones are reported by row and column.',
             'Columns of an export that are not listed here (' + ', '.join(EXPORT_ONLY) + ') are ignored.']
    columns = [(c, d) for c, d in ORDER_COLUMNS] + [(f'item_N_{n}', d) for n, d in ITEM_FIELDS] + \
              [(f'milestone_N_{n}', d) for n, d in MILESTONE_FIELDS]
    return lines, columns


# -- reading ----------------------------------------------------------------------------------

class SheetError(ValueError):
    """The file as a whole cannot be read (not CSV/XLSX, no header, an unknown column)."""


def _cell(value):
    if value is None:
        return ''
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _decode(content):
    for encoding in ('utf-8-sig', 'gb18030'):  # Excel in China saves CSV as GB18030 by default
        try:
            return codecs.decode(content, encoding)
        except UnicodeDecodeError:
            continue
    raise SheetError('The CSV file is neither UTF-8 nor GB18030 text.')


def _csv_rows(content):
    text = _decode(content)
    first = next((line for line in text.splitlines() if line.strip() and not line.lstrip().startswith('#')), '')
    try:  # only the delimiter is guessed: quoting is Excel's (the sniffer gets "" wrong without quotes)
        delimiter = csv.Sniffer().sniff(first, delimiters=',;\t').delimiter
    except csv.Error:
        delimiter = ','
    for number, cells in enumerate(csv.reader(io.StringIO(text), csv.excel, delimiter=delimiter), 1):
        yield number, [c.strip() for c in cells]


def _xlsx_rows(content):
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises zipfile, KeyError and its own errors alike
        raise SheetError(f'The file is not a readable XLSX workbook ({type(error).__name__}).') from None
    try:
        sheet = book['Orders'] if 'Orders' in book.sheetnames else book.worksheets[0]
        for number, cells in enumerate(sheet.iter_rows(values_only=True), 1):
            yield number, [_cell(c) for c in cells]
    finally:
        book.close()


def read(content, fmt):
    """(header, [(row number, {column: text})]) with empty cells left out and blank rows skipped."""
    rows = _xlsx_rows(content) if fmt == 'xlsx' else _csv_rows(content)
    header = None
    out = []
    for number, cells in rows:
        if header is None:  # blank lines and `#` comments may come before the header
            if not any(cells) or cells[0].lstrip().startswith('#'):
                continue
            header = [c.strip().lower() for c in cells]
            check_header(header)
            continue
        record = {header[i]: v for i, v in enumerate(cells) if i < len(header) and header[i] and v != ''}
        if record:
            out.append((number, record))
    if header is None:
        raise SheetError('The file has no header row.')
    return header, out


def check_header(header):
    known = {c for c, _ in ORDER_COLUMNS} | set(EXPORT_ONLY)
    unknown, seen = [], set()
    for name in header:
        if not name:
            continue
        if name in seen:
            raise SheetError(f'The column "{name}" appears twice.')
        seen.add(name)
        group = GROUP.match(name)
        if group:
            kind, n, field = group.group(1), int(group.group(2)), group.group(3)
            fields = ITEM_FIELDS if kind == 'item' else MILESTONE_FIELDS
            if field in {f for f, _ in fields} and 1 <= n <= MAX_GROUPS[kind]:
                continue
        elif name in known:
            continue
        unknown.append(name)
    if unknown:
        raise SheetError('Unknown column(s): ' + ', '.join(unknown) + '. Download the template for the '
                         'column names.')
    if 'title' not in seen or 'customer' not in seen:
        raise SheetError('The header must name at least the columns "title" and "customer".')


# -- writing ----------------------------------------------------------------------------------

def _csv_value(value):
    if value is None:
        return ''
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def write_csv(header, rows, comments=()):
    buffer = io.StringIO()
    buffer.write('\ufeff')  # Excel opens UTF-8 (and so Chinese names) correctly only with a BOM
    writer = csv.writer(buffer, lineterminator='\r\n')
    for line in comments:  # raw, so they read as prose; a reader sees a first cell starting with #
        buffer.write('# ' + line.replace('"', "'").replace('\n', ' ') + '\r\n')
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_value(row.get(c)) for c in header])
    return buffer.getvalue().encode('utf-8')


def _xlsx_value(value):
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)  # Excel has no time zones: UTC, as everywhere in EOMS
    return value


def write_xlsx(header, rows, instructions_sheet=None):
    book = Workbook(write_only=True)
    sheet = book.create_sheet('Orders')
    sheet.append(header)
    for row in rows:
        sheet.append([_xlsx_value(row.get(c)) for c in header])
    if instructions_sheet is not None:
        notes = book.create_sheet('Instructions')
        lines, columns = instructions_sheet
        for line in lines:
            notes.append([line])
        notes.append([])
        notes.append(['column', 'what it holds'])
        for column, description in columns:
            notes.append([column, description])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def template(fmt):
    header = template_columns()
    lines, columns = instructions()
    if fmt == 'xlsx':
        return write_xlsx(header, [], (lines, columns))
    comments = lines + [f'{column}: {description}' for column, description in columns]
    return write_csv(header, [], comments)
