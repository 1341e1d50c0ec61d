"""Engine settings, handed over once by whoever starts the engine (app factory, worker, bench)."""
from config import Config

_values = {name: getattr(Config, name) for name in ('SCRIPT_TIME_LIMIT', 'MAX_TASK_DEPTH', 'SPEC_CACHE_SIZE')}


def configure(mapping):
    for name in _values:
        if name in mapping:
            _values[name] = mapping[name]


def get(name):
    return _values[name]
