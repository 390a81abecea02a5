"""How `ebike-voice serve` talks HTTP: uvicorn's httptools protocol, with each response sent in one write.

uvicorn writes a response's head and its body with two `transport.write` calls. The event loop sends
each at once, so a small answer costs two socket sends (two syscalls, two TCP segments), made while the
worker holds the interpreter lock its event pipeline also needs. Under the lock-event benchmark's load
those sends were ~30 % of the event loop's interpreter time. CorkedHttpToolsProtocol keeps what a
connection writes during one turn of the event loop and sends it together at the end of that turn."""

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class CorkedTransport:
    """A transport whose writes in one event-loop turn go out as one write. Everything else is the
    wrapped transport's; closing sends what is pending first."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(data)

    def writelines(self, lines: Any) -> None:
        for data in lines:
            self.write(data)

    def flush(self) -> None:
        if not self._pending:
            return
        data = b"".join(self._pending)
        self._pending.clear()
        if not self._transport.is_closing():
            self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class CorkedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, writing through a CorkedTransport."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.transport = CorkedTransport(transport, self.loop)  # type: ignore[assignment]
