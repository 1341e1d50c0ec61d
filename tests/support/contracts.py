"""The customer's signed contract, as an integrator sends it: the `contract_signed` message that
moves an order's lifecycle from "Prepare contract" on to "Plan milestones"."""


def sign_contract(api, number, signed_date='2026-11-20', **extra):
    """POST /messages/contract_signed for the order; the response (200 when an order took it)."""
    return api.post('/messages/contract_signed', {'payload': {'signed_date': signed_date, **extra},
                                                  'correlation': {'order_number': number}})


def signed(api, number, signed_date='2026-11-20', **extra):
    r = sign_contract(api, number, signed_date, **extra)
    assert r.status == 200, r
    return r.json
