"""Orders and customers: create (one, or many from a spreadsheet), find, export."""
import os
from datetime import datetime, timezone

from flask import Response, g, request, url_for

from engine.errors import EngineError, Forbidden, Invalid, NotFound
from orders import customers, exports, import_jobs, imports, queries, service, settings, sheets
from orders.queries import OrderFilter
from . import bp
from .docs import doc, json_body, query_args
from .order_schemas import (CustomerIn, CustomerPage, CustomerQuery, CustomerView, ExportQuery, ImportForm,
                            ImportQuery, ImportReport, OrderDetail, OrderImport, OrderIn, OrderPage, OrderQuery,
                            TemplateQuery)

MAX_KEY_LENGTH = 200


def _detail(number, status=200):
    return OrderDetail().dump(queries.order_view(number)), status


def _idempotency_key():
    key = request.headers.get('Idempotency-Key')
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise Invalid(f'The Idempotency-Key header must be 1 to {MAX_KEY_LENGTH} characters.',
                      code='invalid_idempotency_key', details=[{'path': 'Idempotency-Key', 'message': 'bad length'}])
    return key


@bp.post('/orders')
@doc('Create an order and start its order_lifecycle instance', body=OrderIn, response=OrderDetail, status=201,
     errors=(400, 404, 409, 422))
def create_order():
    """Send an `Idempotency-Key` header to make retries safe: the same key with the same body answers
    200 with the order the first call created; the same key with another body answers 409
    `idempotency_key_reused`. An unknown customer, a negative amount, a quantity that is not above
    0 and wrong types answer 422 with each field's path (`line_items/0/quantity`). The order and its
    lifecycle instance are written in one transaction."""
    values = json_body(OrderIn)
    key = _idempotency_key()
    body_hash = service.request_hash(request.get_json(silent=True)) if key else None
    order, created = service.create_order(values, g.actor, idempotency_key=key, body_hash=body_hash)
    return _detail(order.number, 201 if created else 200)


@bp.get('/orders')
@doc('List orders: full-text search, filters, sorting and paging', query=OrderQuery, response=OrderPage,
     errors=(422,))
def list_orders():
    args = query_args(OrderQuery)
    items, total = queries.list_orders(OrderFilter.from_args(args), args['page'], args['per_page'])
    return OrderPage().dump({'items': items, 'page': args['page'], 'per_page': args['per_page'], 'total': total})


def _download(content, fmt, stem):
    stamp = datetime.now(timezone.utc).strftime('%Y%m%d-%H%M%S')
    return Response(content, mimetype=sheets.MIME[fmt].split(';')[0], headers={
        'Content-Disposition': f'attachment; filename="{stem}-{stamp}.{fmt}"',
        'Content-Type': sheets.MIME[fmt]})


@bp.get('/orders/export')
@doc('Export the orders a filter matches (the list filters) as CSV or XLSX in the import layout',
     query=ExportQuery, errors=(422,))
def export_orders():
    """At most 100,000 orders; the header `X-Order-Count` says how many were written."""
    args = query_args(ExportQuery)
    content, count = exports.export(OrderFilter.from_args(args), args['format'])
    response = _download(content, args['format'], 'orders')
    response.headers['X-Order-Count'] = str(count)
    return response


@bp.get('/orders/import-template')
@doc('The import template, CSV or XLSX, with its instructions', query=TemplateQuery, errors=(422,))
def import_template():
    fmt = query_args(TemplateQuery)['format']
    return _download(sheets.template(fmt), fmt, 'order-import-template')


@bp.post('/orders/import')
@doc('Import orders from a CSV or XLSX file; dry_run=1 checks every row and imports nothing', query=ImportQuery,
     multipart=ImportForm, response=ImportReport, errors=(400, 404, 413, 422))
def import_orders():
    """Every row is checked first. Without dry_run each valid row becomes an order, with its lifecycle
    instance, in a transaction of its own; invalid rows are reported by row, column and problem and
    nothing of them is written. The format comes from the file name (.csv or .xlsx).
    With background=1 the valid rows are imported by the workers, in parts side by side, and the
    answer is 202 with the import (OrderImport: its problems already) and a Location to follow it;
    a file without a valid row answers 422 `nothing_to_import` with the problems."""
    request.max_content_length = settings.get('ORDER_IMPORT_MAX_BYTES')
    args = query_args(ImportQuery)
    if not request.mimetype.startswith('multipart/'):
        raise EngineError('Send the file as multipart/form-data in a field named "file".',
                          code='multipart_required', status=400)
    upload = request.files.get('file')
    if upload is None:
        raise Invalid('No file: send it in a multipart field named "file".', code='invalid_request',
                      details=[{'path': 'file', 'message': 'missing'}])
    fmt = os.path.splitext(upload.filename or '')[1].lower().lstrip('.')
    if fmt not in sheets.FORMATS:
        raise Invalid(f'"{upload.filename}" is not a .csv or .xlsx file.', code='invalid_import_file',
                      details=[{'path': 'file', 'message': 'expected .csv or .xlsx'}])
    if args['background'] and not args['dry_run']:
        return _import_in_background(upload.read(), upload.filename)
    report = imports.run(upload.read(), fmt, g.actor, dry_run=args['dry_run'])
    return ImportReport().dump(report)


def _import_in_background(content, filename):
    imp = import_jobs.upload(content, filename, g.actor)
    if not imp.valid:
        problems = imp.problems
        import_jobs.discard(imp)
        raise Invalid(f'{filename} has no valid row to import: correct the rows reported and send it again.',
                      code='nothing_to_import', details=problems)
    import_jobs.confirm(imp)
    imp = import_jobs.get(imp.id)
    return OrderImport().dump(imp), 202, {'Location': url_for('api.get_import', import_id=imp.id)}


@bp.get('/orders/imports/<int:import_id>')
@doc('An import run on the workers (background=1): its status, progress, problems and, once done, its orders',
     response=OrderImport, errors=(403, 404))
def get_import(import_id):
    """Visible to whoever sent it, and to admins."""
    imp = import_jobs.get(import_id)
    if imp is None:
        raise NotFound(f'No import {import_id}.', code='import_not_found')
    if imp.created_by != g.actor.username and not g.actor.is_admin:
        raise Forbidden(f'Import {import_id} is someone else\'s.', code='not_your_import')
    view = OrderImport().dump(imp)
    view['imported'], view['failed'] = import_jobs.progress(imp)
    return view


@bp.get('/orders/<path:number>')  # path: a number format may contain "/" (WO/2026/000001)
@doc('One order: header, line items, milestones, stage, status, current tasks and risk flags',
     response=OrderDetail, errors=(404,))
def get_order(number):
    view = queries.order_view(number)
    if view is None:
        raise NotFound(f'No order {number}.', code='order_not_found')
    return OrderDetail().dump(view)


@bp.post('/customers')
@doc('Create a customer with its contacts', body=CustomerIn, response=CustomerView, status=201,
     errors=(409, 422))
def create_customer():
    """Tax and bank numbers are stored encrypted (ORDER_DATA_KEY) and answered masked."""
    customer = customers.create_customer(json_body(CustomerIn), g.actor)
    return CustomerView().dump(customers.customer_view(customer)), 201


@bp.get('/customers')
@doc('List customers by name', query=CustomerQuery, response=CustomerPage)
def list_customers():
    args = query_args(CustomerQuery)
    rows, total = customers.list_customers(args.get('q'), args['page'], args['per_page'])
    return CustomerPage().dump({'items': [customers.customer_view(c) for c in rows], 'page': args['page'],
                                'per_page': args['per_page'], 'total': total})
