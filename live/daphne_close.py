"""Let Daphne close a WebSocket with the code the application chose.

ASGI lets an application close with any RFC 6455 code and a reason, but Daphne
hands the code to autobahn's `sendClose`, which accepts only 1000 and 3000-4999
from application code. A policy close (1008) or a message-too-big close (1009)
therefore raised "invalid close code", and Daphne closed with 1011 (internal
error) and logged the traceback: the client could not tell a refusal from a
crash and retried for ever. This sends the close frame the application asked
for, with its reason, and is installed once when the live app is ready.
"""

from __future__ import annotations

from typing import Any

# Codes an endpoint may send (RFC 6455 section 7.4.1; 1004-1006 and 1015 are
# reserved, 1010 is for clients only).
SENDABLE = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1011, 1012, 1013, 1014}
MAX_REASON_BYTES = 123  # a close frame's payload is at most 125 bytes


def valid_close_code(code: int) -> bool:
    return code in SENDABLE or 3000 <= code <= 4999


def install() -> None:
    try:
        from daphne.ws_protocol import WebSocketProtocol
    except ImportError:  # not served by Daphne: nothing to patch
        return
    if getattr(WebSocketProtocol, "_agora_close_codes", False):
        return
    original_handle_reply = WebSocketProtocol.handle_reply

    def handle_reply(self: Any, message: dict[str, Any]) -> None:
        if (
            message.get("type") == "websocket.close"
            and self.state != self.STATE_CONNECTING
        ):
            close(self, message.get("code"), message.get("reason"))
            return
        original_handle_reply(self, message)

    WebSocketProtocol.handle_reply = handle_reply
    WebSocketProtocol._agora_close_codes = True


def close(protocol: Any, code: int | None, reason: str | None) -> None:
    code = 1000 if code is None else int(code)
    if not valid_close_code(code):
        code = 1011
    payload = (reason or "").encode("utf-8")[:MAX_REASON_BYTES]
    # Cut at a character boundary so the reason stays valid UTF-8.
    payload = payload.decode("utf-8", "ignore").encode("utf-8")
    protocol.sendCloseFrame(code=code, reasonUtf8=payload or None, isReply=False)
