"""A TCP relay between a channel layer and the real Redis, so that a test can make
Redis slow (bytes stop flowing, connections stay open) or take it away
(connections dropped, new ones refused) and bring it back. Real sockets, real
Redis: only the wire in between is controlled."""

from __future__ import annotations

import contextlib
import socket
import threading
from urllib.parse import urlsplit, urlunsplit


class RedisProxy:
    def __init__(self, redis_url: str) -> None:
        parts = urlsplit(redis_url)
        self.target = (parts.hostname or "127.0.0.1", parts.port or 6379)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = urlunsplit(parts._replace(netloc=f"127.0.0.1:{self.port}"))
        self.flowing = threading.Event()
        self.flowing.set()
        self.away = False
        self.closed = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    # -- what a test does ------------------------------------------------------

    def stall(self) -> None:
        """Redis is slow: nothing gets through until `resume()`."""
        self.flowing.clear()

    def resume(self) -> None:
        self.flowing.set()

    def take_away(self) -> None:
        """Redis is gone: open connections drop, new ones are refused."""
        self.away = True
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def bring_back(self) -> None:
        self.away = False

    def close(self) -> None:
        self.closed = True
        self.take_away()
        self.flowing.set()
        self.listener.close()

    # -- the relay -------------------------------------------------------------

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.away:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(
                    target=self._pump, args=(src, dst), daemon=True
                ).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                self.flowing.wait()
                if self.away:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
