"""Customers and their contacts."""
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from engine.db import db
from engine.errors import Conflict, Invalid
from .crypto import mask
from .models import Customer, CustomerContact
from .numbering import next_value

CODE_SERIES = 'customer'


def create_customer(values, actor):
    """values: loaded by validation.CustomerIn. Commits; 409 when the code is taken."""
    code = values.get('code')
    if code is None:
        code = f'C{next_value(db.session, CODE_SERIES):05d}'
    customer = Customer(code=code, name=values['name'].strip(), address=values.get('address'),
                        tax_number=values.get('tax_number'), bank_name=values.get('bank_name'),
                        bank_account=values.get('bank_account'), created_by=actor.username,
                        contacts=[CustomerContact(**c) for c in values.get('contacts') or []])
    db.session.add(customer)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(f'A customer with code "{code}" already exists.', code='customer_exists',
                       details=[{'path': 'code', 'message': 'already taken'}])
    return customer


def resolve(ref):
    """The customer whose code is ref, else whose name is ref (ignoring case); None when unknown.
    A name shared by several customers is refused: use the code."""
    ref = (ref or '').strip()
    if not ref:
        return None
    found = db.session.execute(select(Customer).where(Customer.code == ref)).scalar()
    if found is not None:
        return found
    named = db.session.execute(select(Customer).where(func.lower(Customer.name) == ref.lower())
                               .limit(2)).scalars().all()
    if len(named) > 1:
        raise Invalid(f'Several customers are named "{ref}"; give the customer\'s code instead.',
                      code='ambiguous_customer', details=[{'path': 'customer', 'message': 'ambiguous name'}])
    return named[0] if named else None


def unknown(ref):
    return Invalid(f'No customer with code or name "{ref}"; create it first (POST /api/v1/customers).',
                   code='unknown_customer', details=[{'path': 'customer', 'message': f'unknown customer "{ref}"'}])


def list_customers(q=None, page=1, per_page=50):
    query = select(Customer)
    if q:
        like = f'%{q.strip().lower()}%'
        query = query.where(or_(func.lower(Customer.name).like(like), func.lower(Customer.code).like(like)))
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar()
    rows = db.session.execute(query.order_by(Customer.name, Customer.id).offset((page - 1) * per_page)
                              .limit(per_page)).scalars().all()
    return rows, total


def customer_view(customer):
    return {'id': customer.id, 'code': customer.code, 'name': customer.name, 'address': customer.address,
            'tax_number': mask(customer.tax_number), 'bank_name': customer.bank_name,
            'bank_account': mask(customer.bank_account), 'created_at': customer.created_at,
            'contacts': [{'name': c.name, 'role': c.role, 'email': c.email, 'phone': c.phone}
                         for c in customer.contacts]}
