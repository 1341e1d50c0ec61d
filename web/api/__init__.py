"""REST API v1: the contract in API.md."""
from flask import Blueprint

bp = Blueprint('api', __name__, url_prefix='/api/v1')

from . import (auth, instances, openapi, operations, order_costs, orders, process_models, tasks,  # noqa: E402,F401
               versions)
