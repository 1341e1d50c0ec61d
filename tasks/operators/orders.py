"""Operators of the order domain, working on the process data they are given."""
from . import OperatorError, Param, operator


@operator('orders.cost_summary', 'Sum line items and milestone costs into a cost summary with the margin.',
          params=[Param('line_items', 'list', 'Line items: {description, quantity, unit_price}.'),
                  Param('actual_costs', 'list', 'Actual costs booked so far (numbers).', required=False, default=[]),
                  Param('budget', 'float', 'Agreed amount (CNY).', required=False)],
          retries=0)
def cost_summary(line_items, actual_costs=(), budget=None):
    planned = 0.0
    for number, item in enumerate(line_items, 1):
        try:
            planned += float(item['quantity']) * float(item['unit_price'])
        except (KeyError, TypeError, ValueError):
            raise OperatorError(f'line item {number} needs numeric quantity and unit_price', code='bad_line_item',
                                retry=False)
    actual = float(sum(actual_costs or []))
    revenue = float(budget) if budget is not None else planned
    return {'planned_cost': round(planned, 2), 'actual_cost': round(actual, 2),
            'margin': round(revenue - actual, 2),
            'margin_percent': round((revenue - actual) / revenue * 100, 2) if revenue else None,
            'over_budget': actual > revenue}
