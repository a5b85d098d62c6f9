"""SQLite with its connections kept for the next request.

Under ASGI every request runs its synchronous code in a thread of its own, so
Django's per-thread connections never outlive a request: each one opened the
database afresh, registered Django's SQL functions, ran the PRAGMAs and, on its
first query, parsed the schema — about 1.5 ms a request, more than the whole
bare view costs (bench/README.md). Here a closed connection goes back to a small
pool of this process instead, and the next request in any thread takes it
(Django opens SQLite connections with check_same_thread=False, and one connection
serves one request at a time). A connection is pooled only when it is clean: no
transaction open, not broken. In-memory databases keep Django's own handling.
The PostgreSQL setup pools through psycopg instead (config/settings/base.py).
"""

from __future__ import annotations

import os
import threading
from typing import Any

from django.db.backends.sqlite3 import base

# Enough for AGORA_HTTP_CONCURRENCY requests and a few background threads.
POOL_SIZE = 24


class _Pool:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.idle: dict[str, list[Any]] = {}

    def take(self, name: str) -> Any | None:
        with self.lock:
            idle = self.idle.get(name)
            return idle.pop() if idle else None

    def give(self, name: str, conn: Any) -> bool:
        with self.lock:
            idle = self.idle.setdefault(name, [])
            if len(idle) >= POOL_SIZE:
                return False
            idle.append(conn)
            return True


pool = _Pool()


class DatabaseWrapper(base.DatabaseWrapper):
    def _pool_name(self) -> str | None:
        """The file and its inode: a database file deleted and made anew (the
        test runner does) never gets the old file's connections."""
        if self.is_in_memory_db():
            return None
        name = str(self.settings_dict["NAME"])
        try:
            return f"{name}:{os.stat(name).st_ino}"
        except OSError:
            return None

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        name = self._pool_name()
        if name is not None:
            conn = pool.take(name)
            if conn is not None:
                return conn
        return super().get_new_connection(conn_params)

    def _close(self) -> None:
        name = self._pool_name()
        conn = self.connection
        if name is None or conn is None or self.in_atomic_block or self.errors_occurred:
            super()._close()
            return
        try:
            if conn.in_transaction:
                conn.rollback()
            clean = not conn.in_transaction
        except base.Database.Error:
            clean = False
        if not (clean and pool.give(name, conn)):
            super()._close()
