from datetime import datetime, timezone

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError

from engine.errors import Invalid
from engine.inbox import diagram_file, may_view_instance
from orders import costs, customers, exports, queries, sheets, stages
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
    entered = intake.read_form(request.form, request.files)
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
    return _order_page(view)


def _order_page(view, status=200, **overrides):
    inst = order_page.instance_of(view)
    if not access.may_view(current_user, view, inst):
        abort(403)
    ctx = {**order_page.context(view, inst), 'cost_form': order_page.cost_form(current_user),
           'sees_instance': inst is not None and may_view_instance(current_user.actor(), inst), **overrides}
    return render_template('orders/order.html', o=view, **ctx), status


@bp.get('/orders/<path:number>/diagram/<name>')
def diagram(number, name):
    """The lifecycle diagram for whoever may see the order (staff see every order, not only the
    instances they took part in)."""
    view = queries.order_view(number)
    if view is None:
        abort(404)
    inst = order_page.instance_of(view)
    if inst is None or not access.may_view(current_user, view, inst):
        abort(403)
    content = diagram_file(inst, name)
    if content is None:
        abort(404)
    return Response(content, mimetype='application/xml',
                    headers={'Cache-Control': 'private, max-age=3600', 'X-Content-Type-Options': 'nosniff'})


@bp.post('/orders/<path:number>/costs')
def book_cost(number):
    view = queries.order_view(number)
    if view is None:
        abort(404)
    entered = {k: (request.form.get(k) or '').strip() for k in ('kind', 'category', 'amount', 'note')}
    form = order_page.cost_form(current_user, entered)
    if form is None or entered['kind'] not in form['kinds'] or \
            not access.may_view(current_user, view, order_page.instance_of(view)):
        abort(403)
    try:
        costs.book(number, costs.CostIn().load(entered), current_user.username)
    except ValidationError as error:
        return _order_page(view, 422, cost_form=order_page.cost_form(current_user, entered,
                                                                      cost_errors(error.messages)))
    except Invalid as error:
        problem = (_('This correction would take the category below zero.') if error.code == 'cost_below_zero'
                   else _('Enter an amount other than 0.'))
        return _order_page(view, 422, cost_form=order_page.cost_form(current_user, entered, {'amount': problem}))
    flash(_('The cost line was booked.'), 'success')
    return redirect(url_for('orders_ui.order', number=number, _anchor='costs'))


def cost_errors(messages):
    """marshmallow's messages as one translated sentence per field."""
    texts = {'amount': _('Enter an amount such as 1200.50 (negative for a correction).'),
             'category': _('Choose a category.'), 'kind': _('Choose budget or actual cost.'),
             'note': _('At most 500 characters.')}
    return {field: texts.get(field, '; '.join(map(str, problems))) for field, problems in messages.items()}
