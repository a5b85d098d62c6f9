"""A bound on the HTTP requests one ASGI process runs at once; the rest queue.

Under ASGI every request runs Django's synchronous code in a thread of its own, so
a burst of 200 writes starts 200 threads that all want one of the process's
pooled database connections: they crowd the GIL, hold their connections longer,
and the ones that waited past the pool's timeout failed. Here a request waits on
an asyncio semaphore (no thread, no connection) after its body is read, for at
most AGORA_HTTP_QUEUE_SECONDS; at most AGORA_HTTP_CONCURRENCY requests run at
once, fewer than DATABASE_POOL_MAX so that WebSocket consumers and the live relay
find a connection too. A request that waited its bound, or that finds
AGORA_HTTP_QUEUE_MAX already waiting, is answered 503 with Retry-After
(home.views.busy). `/healthz` never waits: a busy process is still alive.

WSGI servers (docs/deploy.md) bound concurrency with their threads instead.
"""

from __future__ import annotations

import asyncio
import contextvars
import weakref
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpRequest, HttpResponseBase

UNBOUNDED_PATHS = frozenset({"/healthz"})


@dataclass
class Ticket:
    """One request's place: whether it holds a slot, or was turned away."""

    path: str
    held: bool = False
    busy: bool = False


_ticket: contextvars.ContextVar[Ticket | None] = contextvars.ContextVar(
    "agora_http_ticket", default=None
)


class Slots:
    """The semaphore of one event loop (tests run a loop per test), with a count
    of the requests waiting on it."""

    def __init__(self, size: int) -> None:
        self.semaphore = asyncio.Semaphore(size)
        self.waiting = 0


_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Slots] = (
    weakref.WeakKeyDictionary()
)


def _limits() -> tuple[int, float, int]:
    return (
        int(getattr(settings, "AGORA_HTTP_CONCURRENCY", 0)),
        float(getattr(settings, "AGORA_HTTP_QUEUE_SECONDS", 60)),
        int(getattr(settings, "AGORA_HTTP_QUEUE_MAX", 1000)),
    )


async def take_slot(ticket: Ticket) -> None:
    size, wait, most_waiting = _limits()
    if size <= 0 or ticket.path in UNBOUNDED_PATHS:
        return
    loop = asyncio.get_running_loop()
    slots = _slots.get(loop)
    if slots is None:
        slots = _slots[loop] = Slots(size)
    if slots.semaphore.locked() and slots.waiting >= most_waiting:
        ticket.busy = True
        return
    slots.waiting += 1
    try:
        await asyncio.wait_for(slots.semaphore.acquire(), wait)
    except TimeoutError:
        ticket.busy = True
        return
    finally:
        slots.waiting -= 1
    ticket.held = True


def give_back(ticket: Ticket) -> None:
    if ticket.held:
        ticket.held = False
        _slots[asyncio.get_running_loop()].semaphore.release()


class BoundedASGIHandler(ASGIHandler):
    """Django's ASGI handler, with the slot taken once the body is read and given
    back after the response is closed (its database connection back in the
    pool), whatever happened in between: a client that went away included."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        ticket = Ticket(path=scope.get("path", ""))
        token = _ticket.set(ticket)
        try:
            await super().__call__(scope, receive, send)
        finally:
            give_back(ticket)
            _ticket.reset(token)

    async def read_body(self, receive: Any) -> Any:
        body = await super().read_body(receive)
        ticket = _ticket.get()
        if ticket is not None:
            await take_slot(ticket)
        return body

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        ticket = _ticket.get()
        if ticket is not None and ticket.busy:
            from home.views import busy

            return busy(request)
        return await super().get_response_async(request)
