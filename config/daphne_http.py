"""Oversized request lines and headers get an HTTP answer with a body.

Daphne parses HTTP with Twisted, which drops the connection without a word when
the request line is longer than 16 KB (a 20 KB query string) and answers a bare
"400" with no body when all headers pass 16 KB. Clients and proxies then see a
reset, not a reason. Here the first answers 414 URI Too Long and the second 431
Request Header Fields Too Large, each with a short plain-text body. Installed when
the site app is ready (home/apps.py); nothing happens without Daphne.
"""

from __future__ import annotations

from typing import Any

MESSAGES = {
    414: (b"URI Too Long", b"The address (with its query) is too long.\n"),
    431: (
        b"Request Header Fields Too Large",
        b"The request's headers (cookies included) are too large.\n",
    ),
    400: (b"Bad Request", b"The request could not be read.\n"),
}


def respond(channel: Any, status: int) -> None:
    reason, body = MESSAGES[status]
    channel.transport.write(
        b"HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n%s"
        % (status, reason, len(body), body)
    )
    channel.loseConnection()


def install() -> None:
    try:
        from twisted.web.http import HTTPChannel
    except ImportError:
        return
    if getattr(HTTPChannel, "_agora_limits", False):
        return

    def line_length_exceeded(self: Any, line: bytes) -> None:
        first = getattr(self, "_HTTPChannel__first_line", 1)
        respond(self, 414 if first else 431)

    def bad_request(self: Any) -> None:
        too_big = self._receivedHeaderSize > self.totalHeadersSize
        respond(self, 431 if too_big else 400)

    HTTPChannel.lineLengthExceeded = line_length_exceeded
    HTTPChannel._respondToBadRequestAndDisconnect = bad_request
    HTTPChannel._agora_limits = True
