"""Scripts, conditions, DMN cells and timer/service parameters run here: compiled with
RestrictedPython against an allow-list of names, under a wall-clock limit."""
import ast
import contextvars
import ctypes
import datetime
import operator
import threading
import time
import types
from functools import lru_cache

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (full_write_guard, guarded_iter_unpack_sequence, guarded_unpack_sequence,
                                     safe_builtins, safer_getattr)
from RestrictedPython.PrintCollector import PrintCollector
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

from .errors import ScriptError

SCRIPT_FILE = '<bpmn-script>'
MAX_RANGE = 1_000_000

# Who runs the current engine command; scripts read it through get_current_user().
current_user = contextvars.ContextVar('current_user', default=None)
time_limit = contextvars.ContextVar('script_time_limit', default=2.0)

_INPLACE = {'+=': operator.iadd, '-=': operator.isub, '*=': operator.imul, '/=': operator.itruediv,
            '//=': operator.ifloordiv, '%=': operator.imod, '**=': operator.ipow, '<<=': operator.ilshift,
            '>>=': operator.irshift, '|=': operator.ior, '^=': operator.ixor, '&=': operator.iand}


def _inplacevar(op, x, y):
    return _INPLACE[op](x, y)


def _limited_range(*args):
    r = range(*args)
    if len(r) > MAX_RANGE:
        raise ScriptError(f'range() of {len(r)} items is over the limit of {MAX_RANGE}.')
    return r


def get_current_user():
    user = current_user.get() or {}
    return {'username': user.get('username'), 'groups': list(user.get('groups') or [])}


def _builtins():
    names = dict(safe_builtins)
    names.pop('__build_class__', None)  # no class statements in process scripts
    for fn in (list, dict, set, frozenset, sum, min, max, any, all, enumerate, map, filter, reversed, sorted, zip):
        names[fn.__name__] = fn
    names['range'] = _limited_range
    return names


BUILTINS = _builtins()
GUARDS = {
    '__builtins__': BUILTINS,
    '_getattr_': safer_getattr,
    '_getitem_': default_guarded_getitem,
    '_getiter_': default_guarded_getiter,
    '_iter_unpack_sequence_': guarded_iter_unpack_sequence,
    '_unpack_sequence_': guarded_unpack_sequence,
    '_write_': full_write_guard,
    '_inplacevar_': _inplacevar,
    '_print_': PrintCollector,
}
# The datetime module minus what leads out of the sandbox (datetime.sys is the sys module).
SAFE_DATETIME = types.SimpleNamespace(**{name: getattr(datetime, name) for name in (
    'date', 'datetime', 'time', 'timedelta', 'timezone', 'tzinfo', 'MINYEAR', 'MAXYEAR')})
# Names the API contract promises to scripts (API.md, "Script and expression environment").
SCRIPT_NAMES = {'datetime': SAFE_DATETIME, 'timedelta': datetime.timedelta, 'date': datetime.date,
                'get_current_user': get_current_user}


@lru_cache(maxsize=4096)
def _compile(source, mode):
    result = (compile_restricted_eval if mode == 'eval' else compile_restricted_exec)(source, filename=SCRIPT_FILE)
    if result.errors:
        raise ScriptError('; '.join(result.errors))
    return result.code


class ScriptTimeout(ScriptError):
    def __init__(self, *args):
        super().__init__('The script ran longer than its time limit and was stopped.')


class _Watchdog:
    """One thread for the whole process: it raises ScriptTimeout in a thread whose script has
    passed its deadline. A tracing hook would cost every line, and would not see `while 1: pass`."""

    def __init__(self):
        self._cond = threading.Condition()
        self._deadlines = {}  # thread id -> deadline
        self._thread = None

    def _loop(self):
        with self._cond:
            while True:
                now = time.monotonic()
                for tid, deadline in list(self._deadlines.items()):
                    if deadline <= now:
                        del self._deadlines[tid]
                        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(tid), ctypes.py_object(ScriptTimeout))
                nearest = min(self._deadlines.values(), default=None)
                self._cond.wait(None if nearest is None else max(nearest - now, 0.001))

    def arm(self, seconds):
        with self._cond:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name='script-watchdog', daemon=True)
                self._thread.start()
            self._deadlines[threading.get_ident()] = time.monotonic() + seconds
            self._cond.notify()

    def disarm(self):
        with self._cond:
            return self._deadlines.pop(threading.get_ident(), None) is not None


_watchdog = _Watchdog()


def _run(code, scope):
    _watchdog.arm(time_limit.get())
    try:
        result = eval(code, scope)
    except BaseException:
        _watchdog.disarm()  # whatever the script raised, its deadline must not outlive it
        raise
    if not _watchdog.disarm():
        # The deadline passed just as the script ended: the pending exception is on its way.
        try:
            time.sleep(0.01)
        except ScriptTimeout:
            pass
    return result


class RestrictedEnvironment(TaskDataEnvironment):
    """SpiffWorkflow's task-data environment with every evaluation going through the sandbox."""

    def __init__(self):
        super().__init__(dict(SCRIPT_NAMES))

    def evaluate(self, expression, context, external_context=None):
        scope = dict(GUARDS)
        scope.update(self.globals)
        scope.update(external_context or {})
        scope.update(context)
        return _run(_compile(expression.strip(), 'eval'), scope)

    def execute(self, script, context, external_context=None):
        self.check_for_overwrite(context, external_context or {})
        code = _compile(script, 'exec')
        context.update(GUARDS)
        context.update(self.globals)
        context.update(external_context or {})
        try:
            _run(code, context)
        finally:
            for name in list(GUARDS) + ['_print']:
                context.pop(name, None)
            self._remove_globals_and_functions_from_context(context, external_context)
        return True


class SandboxedScriptEngine(PythonScriptEngine):
    def __init__(self):
        super().__init__(environment=RestrictedEnvironment())

    def validate(self, expression):
        """SyntaxError for text that is not Python (DMN relies on this to tell `< 5` from `5`,
        for every cell it evaluates, hence the cache), ScriptError for Python the sandbox refuses."""
        error = _validation_error(expression)
        if error is not None:
            raise type(error)(*error.args)  # a fresh one: re-raising the cached one would grow its traceback


@lru_cache(maxsize=4096)
def _validation_error(expression):
    try:
        ast.parse(expression)
        _compile(expression, 'exec')
    except (SyntaxError, ScriptError) as error:
        return error
    return None


SCRIPT_ENGINE = SandboxedScriptEngine()
