"""The corked HTTP protocol `ebike-voice serve` runs (service/serving.py)."""

import asyncio
from typing import Any

from service.serving import CorkedTransport


class _Recording(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: Any) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 1234)}.get(name, default)


def test_writes_in_one_loop_turn_go_out_as_one() -> None:
    async def scenario() -> list[list[bytes]]:
        raw = _Recording()
        corked = CorkedTransport(raw, asyncio.get_running_loop())
        corked.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
        corked.write(b"{}")
        seen = [list(raw.writes)]  # nothing sent yet
        await asyncio.sleep(0)
        seen.append(list(raw.writes))
        corked.writelines([b"a", b"b"])
        corked.close()  # sends what is pending, then closes
        seen.append(list(raw.writes))
        corked.write(b"late")
        await asyncio.sleep(0)
        seen.append(list(raw.writes))
        assert raw.closed
        assert corked.get_extra_info("peername") == ("127.0.0.1", 1234)
        return seen

    before, after_turn, after_close, after_late = asyncio.run(scenario())
    assert before == []
    assert after_turn == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"]
    assert after_close == after_turn + [b"ab"]
    assert after_late == after_close  # the transport is closing: nothing more is written
