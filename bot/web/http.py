"""uvicorn's HTTP/1.1 protocol (h11) with a deadline for request headers.

uvicorn waits for a request's headers as long as the client likes (a slow-headers client holds its
connection for ever; its keep-alive timeout only runs between requests). This protocol closes a connection
whose next request's headers have not all arrived `timeout` seconds after its first byte (or after the
connection opened). The body's deadline is the webhook's own (see `bot.web.intake`).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger(__name__)


class _HeaderDeadline(H11Protocol):
    header_timeout = 15.0
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def _arm(self) -> None:
        if self._deadline is None:
            self._deadline = self.loop.call_later(self.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _waiting_for_headers(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def data_received(self, data: bytes) -> None:
        if self._waiting_for_headers():
            self._arm()  # the first bytes of a next request on a kept-alive connection
        super().data_received(data)
        if not self._waiting_for_headers():
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _too_slow(self) -> None:
        self._deadline = None
        if self._waiting_for_headers() and not self.transport.is_closing():
            log.info(
                "closed a connection whose request headers did not arrive within %.0f s", self.header_timeout
            )
            self.transport.close()


def header_deadline_protocol(timeout: float) -> Any:
    """The protocol class to pass as uvicorn's `http=`."""
    return type("HeaderDeadlineH11Protocol", (_HeaderDeadline,), {"header_timeout": timeout})
