"""`flask --app wsgi dev`: everything `make run` needs, in one foreground command.

Uses the Redis at REDIS_URL, or starts an embedded one; migrates the database, deploys
bpmn/, loads the demo data (which prints the demo logins), then runs an RQ worker and the
web server as child processes until Ctrl-C or SIGTERM, and stops them all on the way out.
"""
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import click
from flask import current_app

from tasks.redis_server import die_with_parent, ensure_redis, stop

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SETUP_STEPS = (['db', 'upgrade'], ['models', 'load', 'bpmn/'], ['demo', 'load'])
STOP_WAIT = 10.0  # seconds a child gets to stop after SIGTERM before it is killed


class _Stop(Exception):
    """Raised by the SIGINT/SIGTERM/SIGHUP handler to unwind into the clean-up."""


def _flask(*args):
    return [sys.executable, '-m', 'flask', '--app', 'wsgi', *args]


def _run_step(args, env):
    """Run one setup command; its output is shown; on failure exit with its status."""
    click.echo(f"==> flask --app wsgi {' '.join(args)}", err=True)
    done = subprocess.run(_flask(*args), cwd=PROJECT_ROOT, env=env,
                          stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        click.echo(f"`flask --app wsgi {' '.join(args)}` failed (exit {done.returncode}):", err=True)
        click.echo(done.stderr.rstrip(), err=True)
        raise click.exceptions.Exit(done.returncode or 1)
    if done.stderr:
        click.echo(done.stderr.rstrip(), err=True)


def _spawn(args, env):
    # Own session: a Ctrl-C in the terminal reaches only this command, which then stops
    # the children in order; die_with_parent covers this command being killed outright.
    return subprocess.Popen(_flask(*args), cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL,
                            start_new_session=True, preexec_fn=die_with_parent)


def _terminate(proc, name, signals=(signal.SIGTERM, signal.SIGTERM)):
    """Stop a child: SIGTERM (RQ: warm shutdown), again (RQ: cold), then SIGKILL its group."""
    if proc is None:
        return
    for sig in signals:
        if proc.poll() is not None:
            break
        try:
            proc.send_signal(sig)
            proc.wait(STOP_WAIT / len(signals))
        except subprocess.TimeoutExpired:
            pass
        except ProcessLookupError:
            break
    if proc.poll() is None:
        click.echo(f'{name} did not stop; killing it', err=True)
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # also the RQ scheduler it forked, if left
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def _wait_for_port(host, port, proc, timeout=30.0):
    connect_host = '127.0.0.1' if host in ('0.0.0.0', '') else ('::1' if host == '::' else host)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with socket.create_connection((connect_host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def _raise_stop(signum, frame):
    raise _Stop(signum)


def register(app):
    @app.cli.command('dev')
    @click.option('--host', default='127.0.0.1', show_default=True, help='Interface to listen on.')
    @click.option('--port', default=5000, show_default=True, type=int, help='Port to listen on.')
    def dev_command(host, port):
        """Migrate, load models and demo data, then run Redis, a worker and the web server."""
        redis_url, redis_proc = ensure_redis(current_app.config['REDIS_URL'])
        if redis_proc is None:
            click.echo(f'Redis: using {redis_url}', err=True)
        else:
            click.echo(f'Redis: none answered at {current_app.config["REDIS_URL"]}; '
                       f'started an embedded one at {redis_url}', err=True)
        env = dict(os.environ, REDIS_URL=redis_url, PYTHONUNBUFFERED='1')
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, _raise_stop)  # also when started with SIGINT ignored (`cmd &`)
        worker = web = None
        status = 0
        try:
            for step in SETUP_STEPS:
                _run_step(step, env)
            worker = _spawn(['worker'], env)
            web = _spawn(['run', '--host', host, '--port', str(port), '--no-reload'], env)
            if _wait_for_port(host, port, web):
                shown = '[::1]' if host == '::' else ('127.0.0.1' if host == '0.0.0.0' else host)
                click.echo(f'\nEOMS is running at http://{shown}:{port}/')
                click.echo('Demo logins: printed above by `flask --app wsgi demo load`.')
                parts = ('the web server, the worker and the embedded Redis' if redis_proc
                         else 'the web server and the worker')
                click.echo(f'Press Ctrl-C to stop {parts}.')
            while True:
                for proc, name in ((web, 'web server'), (worker, 'worker')):
                    if proc.poll() is not None:
                        click.echo(f'The {name} exited (status {proc.returncode}); stopping.', err=True)
                        status = proc.returncode or 1
                        raise _Stop()
                time.sleep(0.5)
        except _Stop:
            click.echo('\nStopping...', err=True)
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                signal.signal(sig, signal.SIG_IGN)  # let the clean-up below finish
            _terminate(web, 'web server', signals=(signal.SIGTERM,))
            _terminate(worker, 'worker')
            stop(redis_proc)
        if status:
            raise click.exceptions.Exit(status)
