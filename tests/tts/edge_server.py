"""A local stand-in for Microsoft's read-aloud WebSocket service that the real edge-tts client can talk to.

It speaks just enough of the protocol as edge-tts 7.3.1 parses it: after the client's `speech.config` and
`ssml` text messages, a `turn.start` text message, binary `Path:audio` frames (2-byte big-endian header
length, headers ending in CRLF, then MP3 bytes), an empty end-of-audio frame and a `turn.end` message.
"""

import asyncio
import functools
import subprocess
import threading

from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request

from service.audio.ffmpeg import FFMPEG
from service.tts.espeak import EspeakEngine

MODES = ("ok", "http403", "http429", "http503", "no_audio", "stall", "drop", "bad_audio")
_HTTP_ERRORS = {
    "http403": (403, "Forbidden"),
    "http429": (429, "Too Many Requests"),
    "http503": (503, "Busy"),
}
SPOKEN_TEXT = "开锁成功！宁边路派出所提醒您，网络刷单全是骗，盲目相信钱不见。"
_CHUNK_BYTES = 4096


@functools.cache
def sample_mp3() -> bytes:
    """The format the real service sends: 24 kHz mono MP3 at 48 kbps, streamed (no Xing header)."""
    pcm = EspeakEngine().synthesize(SPOKEN_TEXT, "zh-CN").segment
    command = [
        FFMPEG, "-hide_banner", "-loglevel", "error", "-nostdin",
        "-f", "s16le", "-ar", str(pcm.frame_rate), "-ac", "1", "-i", "pipe:0",
        "-ar", "24000", "-c:a", "libmp3lame", "-b:a", "48k", "-f", "mp3", "pipe:1",
    ]  # fmt: skip
    return subprocess.run(command, input=pcm.raw_data, capture_output=True, check=True).stdout


def _headers(request_id: str, path: str, content_type: str | None) -> str:
    lines = [f"X-RequestId:{request_id}"]
    if content_type:
        lines.append(f"Content-Type:{content_type}")
    lines.append(f"Path:{path}")
    return "".join(line + "\r\n" for line in lines)


def _text_message(request_id: str, path: str, body: str) -> str:
    return _headers(request_id, path, "application/json; charset=utf-8") + "\r\n" + body


def _audio_frame(request_id: str, audio: bytes) -> bytes:
    headers = _headers(request_id, "audio", "audio/mpeg" if audio else None).encode()
    return len(headers).to_bytes(2, "big") + headers + audio


class EdgeServer:
    """Runs in a background thread with its own event loop. `mode` may be changed between requests;
    `script` holds modes for the next requests, one each, before `mode` applies again. `delay_s` holds
    each answer back; `max_active` records the most connections served at once."""

    def __init__(self, mode: str = "ok") -> None:
        self.mode = mode
        self.script: list[str] = []
        self.delay_s = 0.0
        self.requests = 0
        self.active = 0
        self.max_active = 0
        self.ssml: list[str] = []
        self.url = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Future[None] | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=asyncio.run, args=(self._main(),), daemon=True)

    def __enter__(self) -> "EdgeServer":
        sample_mp3()  # made before any client's deadline starts
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("edge test server did not start")
        return self

    def __exit__(self, *_exc: object) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set_result, None)
        self._thread.join(10)

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = self._loop.create_future()
        async with serve(
            self._handle, "127.0.0.1", 0, process_request=self._process_request, close_timeout=1
        ) as server:
            port = server.sockets[0].getsockname()[1]
            self.url = (
                f"ws://127.0.0.1:{port}/consumer/speech/synthesize/readaloud/edge/v1?TrustedClientToken=test"
            )
            self._ready.set()
            await self._stop

    def _process_request(self, connection: ServerConnection, _request: Request):
        self.requests += 1
        mode = self.script.pop(0) if self.script else self.mode
        if mode in _HTTP_ERRORS:
            # websockets adds a Date header, which edge-tts uses to correct its clock before one retry
            # after a 403.
            return connection.respond(*_HTTP_ERRORS[mode])
        connection.mode = mode  # type: ignore[attr-defined]
        return None

    async def _handle(self, ws: ServerConnection) -> None:
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            await self._answer(ws, ws.mode)  # type: ignore[attr-defined]
        finally:
            self.active -= 1

    async def _answer(self, ws: ServerConnection, mode: str) -> None:
        await ws.recv()  # speech.config
        ssml = str(await ws.recv())
        self.ssml.append(ssml)
        if mode == "stall":
            await ws.wait_closed()
            return
        await asyncio.sleep(self.delay_s)
        request_id = ssml.split("\r\n", 1)[0].removeprefix("X-RequestId:")
        await ws.send(_text_message(request_id, "turn.start", '{"context":{"serviceTag":"test"}}'))
        audio = b"\xff\x00not mp3" * 512 if mode == "bad_audio" else sample_mp3()
        if mode != "no_audio":
            for start in range(0, len(audio), _CHUNK_BYTES):
                await ws.send(_audio_frame(request_id, audio[start : start + _CHUNK_BYTES]))
                if mode == "drop":
                    await ws.close()
                    return
            await ws.send(_audio_frame(request_id, b""))
        await ws.send(_text_message(request_id, "turn.end", "{}"))
