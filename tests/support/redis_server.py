"""A private, real Redis for tests: free port, no persistence, stop and restart on the same port.

    with RedisServer() as server:          # or server = RedisServer().start()
        conn = redis.Redis.from_url(server.url)
        server.stop()                      # Redis is down: connections fail
        server.start()                     # back on the same port, empty
    # stopped on exit

A restarted server is empty (nothing is persisted), like a Redis that lost its data.
"""
import contextlib
import tempfile

from tasks.redis_server import free_port, start_embedded, stop


class RedisServer:
    """One embedded Redis server whose port stays fixed across stop/start."""

    def __init__(self, port=None):
        self.port = port or free_port()
        self._tmp = None
        self._popen = None

    @property
    def url(self):
        return f'redis://127.0.0.1:{self.port}/0'

    @property
    def running(self):
        return self._popen is not None and self._popen.poll() is None

    def start(self):
        """Start the server (no-op when it runs); returns self."""
        if not self.running:
            if self._tmp is None:
                self._tmp = tempfile.TemporaryDirectory(prefix='eoms-test-redis-')
            _, self._popen = start_embedded(port=self.port, data_dir=self._tmp.name)
        return self

    def stop(self):
        """Stop the server (no-op when it is not running)."""
        stop(self._popen)
        self._popen = None

    def restart(self):
        self.stop()
        return self.start()

    def close(self):
        """Stop the server and remove its working directory."""
        self.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()


@contextlib.contextmanager
def private_redis(port=None):
    """Context manager yielding a started :class:`RedisServer`, closed afterwards."""
    server = RedisServer(port)
    try:
        yield server.start()
    finally:
        server.close()
