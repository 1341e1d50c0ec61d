"""REST API v1: the contract in API.md."""
from flask import Blueprint

bp = Blueprint('api', __name__, url_prefix='/api/v1')

from . import (auth, instances, openapi, operations, order_attachments, order_costs, orders,  # noqa: E402,F401
               process_models, tasks, versions)
from . import order_changes  # noqa: E402,F401
