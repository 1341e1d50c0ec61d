from datetime import datetime, timezone

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from orders import customers, exports, queries, sheets, stages
from orders.validation import ORDER_TYPES, PRIORITIES, URGENCIES, WORK_TYPES
from . import access, bp, intake, listing, order_page
from .names import template_names


@bp.context_processor
def _names():
    return template_names()


def _list_context():
    q = listing.read_query(request.args, current_user)
    return q, dict(q=q, args=q.args, errors=q.errors, stages=stages.STAGES, statuses=stages.STATUSES,
                   work_types=WORK_TYPES, sees_all=access.sees_all(current_user),
                   may_create=access.may_create(current_user))


@bp.get('/orders/')
def order_list():
    q, ctx = _list_context()
    rows, total, pages = listing.page_of_orders(q)
    template = 'orders/_list_results.html' if request.headers.get('HX-Request') else 'orders/list.html'
    return render_template(template, rows=rows, total=total, pages=pages, **ctx)


@bp.get('/orders/export.<fmt>')
def export(fmt):
    if fmt not in sheets.FORMATS:
        abort(404)
    q = listing.read_query(request.args, current_user)
    content, count = exports.export(q.flt, fmt)
    stamp = datetime.now(timezone.utc).strftime('%Y%m%d-%H%M%S')
    return Response(content, headers={'Content-Type': sheets.MIME[fmt], 'X-Order-Count': str(count),
                                      'Content-Disposition': f'attachment; filename="orders-{stamp}.{fmt}"'})


@bp.get('/orders/board')
def board():
    q, ctx = _list_context()
    return render_template('orders/board.html', columns=listing.board(q), **ctx)


def _form_page(entered, errors, status=200):
    return render_template('orders/new.html', entered=entered, errors=errors, work_types=WORK_TYPES,
                           order_types=ORDER_TYPES, priorities=PRIORITIES, urgencies=URGENCIES,
                           customers=customers.list_customers(None, 1, 500)[0]), status


@bp.get('/orders/intake')
def new_order():
    if not access.may_create(current_user):
        abort(403)
    return _form_page(intake.blank_form(), {})


@bp.post('/orders/intake')
def create_order():
    if not access.may_create(current_user):
        abort(403)
    entered = intake.read_form(request.form)
    order, errors = intake.submit(entered, current_user.actor())
    if errors:
        return _form_page(entered, errors, 422)
    flash(_('Order %(number)s was created and its lifecycle started.', number=order.number), 'success')
    return redirect(url_for('orders_ui.order', number=order.number))


@bp.get('/orders/<path:number>')
def order(number):
    view = queries.order_view(number)
    if view is None:
        abort(404)
    inst = order_page.instance_of(view)
    if not access.may_view(current_user, view, inst):
        abort(403)
    return render_template('orders/order.html', o=view, **order_page.context(view, inst))
