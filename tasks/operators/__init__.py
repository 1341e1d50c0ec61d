"""Service-task operators: plain Python functions the workers run, with typed, documented
parameters. A diagram names one with `spiffworkflow:serviceTaskOperator id="..."`."""
from dataclasses import dataclass, field


class OperatorError(Exception):
    """An operator failed in a way worth reporting as is; `code` can be caught by a BPMN error
    boundary with that error code. `retry` False skips the remaining attempts."""

    def __init__(self, message, code=None, retry=True):
        super().__init__(message)
        self.code = code
        self.retry = retry


@dataclass
class Param:
    name: str
    type: str                # 'str', 'int', 'float', 'bool', 'dict', 'list', 'any'
    description: str
    required: bool = True
    default: object = None


@dataclass
class Operator:
    name: str
    function: object
    description: str
    params: list = field(default_factory=list)
    retries: int = 3              # attempts after the first one
    backoff_seconds: float = 2.0  # first wait; doubled for each further attempt
    timeout_seconds: int = 60

    def describe(self):
        return {'name': self.name, 'description': self.description, 'retries': self.retries,
                'backoff_seconds': self.backoff_seconds,
                'params': [{'name': p.name, 'type': p.type, 'description': p.description, 'required': p.required,
                            'default': p.default} for p in self.params]}


REGISTRY = {}

_TYPES = {'str': str, 'int': int, 'float': (int, float), 'bool': bool, 'dict': dict, 'list': list}


def operator(name, description, params=(), retries=3, backoff_seconds=2.0, timeout_seconds=60):
    def register(fn):
        REGISTRY[name] = Operator(name, fn, description, list(params), retries, backoff_seconds, timeout_seconds)
        return fn
    return register


def check_params(op, given):
    """The keyword arguments for the operator, or OperatorError naming each bad parameter."""
    problems, kwargs = [], {}
    known = {p.name for p in op.params}
    for extra in sorted(set(given) - known):
        problems.append(f'unknown parameter "{extra}"')
    for p in op.params:
        if p.name not in given or given[p.name] is None:
            if p.required:
                problems.append(f'parameter "{p.name}" ({p.type}) is required')
            else:
                kwargs[p.name] = p.default
            continue
        value = given[p.name]
        expected = _TYPES.get(p.type)
        if expected and (not isinstance(value, expected) or (p.type in ('int', 'float') and isinstance(value, bool))):
            problems.append(f'parameter "{p.name}" must be {p.type}, not {type(value).__name__}')
        kwargs[p.name] = value
    if problems:
        raise OperatorError(f'{op.name}: ' + '; '.join(problems), code='bad_parameters', retry=False)
    return kwargs


def load_all():
    """Import the modules that register operators."""
    from . import email, http, orders  # noqa: F401
    return REGISTRY
