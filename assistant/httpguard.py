"""Connection limits for uvicorn: a connection has ``request_read_timeout`` seconds to deliver a whole request.

uvicorn's only connection timeout, ``timeout_keep_alive``, covers the idle time between requests and is reset by
every byte that arrives; nothing times out a connection that opens and never finishes its headers (or its body),
so 3,000 such connections were simply held. ASGI middleware cannot help: it runs only once a request has
arrived. Here uvicorn's own HTTP protocol (httptools, or h11 without it) gets a deadline: armed when a
connection opens and when the first byte of its next request arrives, disarmed once that request (headers and
body) is in, and the connection is closed if it passes. Answers that take long are never cut: the deadline
covers only receiving the request.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from assistant.config import Settings

log = logging.getLogger("assistant.httpguard")


class _RequestDeadline(asyncio.Protocol):
    """Mixed in before a uvicorn HTTP protocol class, whose ``loop``, ``transport`` and ``cycle`` it reads."""

    request_read_timeout: float = 10.0
    loop: Any
    transport: Any
    cycle: Any

    def connection_made(self, transport: Any) -> None:
        self._deadline: asyncio.TimerHandle | None = None
        self._awaited_after: Any = None
        super().connection_made(transport)
        self._expect_request()

    def data_received(self, data: bytes) -> None:
        if self._deadline is None and (self.cycle is None or self.cycle.response_complete):
            self._expect_request()  # the first byte of the next request on a kept-alive connection
        super().data_received(data)
        if self._deadline is not None and self._request_arrived():
            self._deadline.cancel()
            self._deadline = None

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        super().connection_lost(exc)

    def _request_arrived(self) -> bool:
        """A request newer than the one answered when the deadline was armed has arrived in full."""
        cycle = self.cycle
        return cycle is not None and cycle is not self._awaited_after and not cycle.more_body

    def _expect_request(self) -> None:
        self._awaited_after = self.cycle
        self._deadline = self.loop.call_later(self.request_read_timeout, self._expire)

    def _expire(self) -> None:
        self._deadline = None
        if self._request_arrived() or self.transport.is_closing():
            return
        log.debug("closing a connection that sent no whole request in %s s", self.request_read_timeout)
        self.transport.close()


def protocol_class(request_read_timeout: float) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol (httptools if installed, else h11, as ``http="auto"`` picks) with the deadline."""
    base: type[asyncio.Protocol]
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as base
    except ImportError:  # no httptools: uvicorn's pure-Python parser
        from uvicorn.protocols.http.h11_impl import H11Protocol as base
    return type(f"Deadline{base.__name__}", (_RequestDeadline, base), {"request_read_timeout": request_read_timeout})


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The ``uvicorn.Config`` options for ``settings``' connection limits (no WebSocket routes: none is offered)."""
    return {"http": protocol_class(settings.request_read_timeout), "timeout_keep_alive": settings.keep_alive_timeout,
            "ws": "none"}
