"""One event, framed once per process, written straight to each tab's socket.

Through the ASGI path an event to N tabs of one Daphne process costs N consumer
wake-ups: each tab's task is woken from its channel queue, Channels dispatches the
message to `live_event`, the consumer awaits `send()`, Daphne checks the reply and
autobahn frames the same text again. At 1,000 tabs that hand-off, not the network,
was most of the time between the first tab's receipt and the last's.

Daphne is built on autobahn, which has the broadcast form for this: a
`PreparedMessage` is framed once and `sendPreparedMessage` writes those bytes to a
connection. Here Daphne offers each WebSocket application an ASGI scope extension,
`scope["extensions"]["agora.send_prepared"]`: a callable taking the event's text
that frames it once per process (the same text object is shared by every tab of a
process, so the frame is found by identity) and writes it to this connection, or
returns False when the connection is no longer open. The channel layer calls the
consumer synchronously on the server's event loop, and the consumer uses the
extension when nothing else of its own is waiting to go out first (see
`LiveConsumer.push`). Under another server, or in tests through Channels'
communicator, the extension is absent and every event takes the ASGI path.
"""

from __future__ import annotations

from functools import partial
from typing import Any

EXTENSION = "agora.send_prepared"
# Frames kept for texts recently sent: an event goes to every tab within a few
# milliseconds, so a handful is plenty.
FRAMES_KEPT = 16

_frames: dict[int, tuple[str, Any]] = {}


def prepared(text: str) -> Any:
    """The event's WebSocket frame, built once per text object (unmasked, as a
    server sends; Daphne negotiates no compression)."""
    key = id(text)
    hit = _frames.get(key)
    if hit is not None and hit[0] is text:
        return hit[1]
    from autobahn.websocket.protocol import PreparedMessage

    frame = PreparedMessage(
        text.encode("utf-8"), isBinary=False, applyMask=False, doNotCompress=False
    )
    if len(_frames) >= FRAMES_KEPT:
        _frames.clear()
    _frames[key] = (text, frame)
    return frame


def send_prepared(server: Any, protocol: Any, text: str) -> bool:
    """Write `text` as one frame to this connection; False if it is not open."""
    details = server.connections.get(protocol)
    if (
        details is None
        or details.get("disconnected")
        or protocol.state != protocol.STATE_OPEN
    ):
        return False
    protocol.sendPreparedMessage(prepared(text))
    return True


def install() -> None:
    try:
        from daphne.server import Server
    except ImportError:  # not served by Daphne: every event takes the ASGI path
        return
    if getattr(Server, "_agora_send_prepared", False):
        return
    original = Server.create_application

    def create_application(self: Any, protocol: Any, scope: dict[str, Any]) -> Any:
        if scope.get("type") == "websocket":
            extensions = dict(scope.get("extensions") or {})
            extensions[EXTENSION] = partial(send_prepared, self, protocol)
            scope["extensions"] = extensions
        return original(self, protocol, scope)

    Server.create_application = create_application
    Server._agora_send_prepared = True
