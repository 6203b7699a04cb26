"""Loopback LLM servers for tests: Ollama's `/api/chat` (NDJSON lines) and an OpenAI-compatible
`/v1/chat/completions` (server-sent events). Real sockets on 127.0.0.1, real chunked streams.

Each server answers chat requests from a script, one response per request, in order, and
records every request it received:

    with OllamaServer() as srv:
        srv.script(
            Reply(text=["Hel", "lo"]),
            Reply(calls=[Call("read_cell", {"id": "a1"})]),
            Fail(404),
            Reply(text=["partial"], disconnect_after=1),
        )
        provider = OllamaProvider("qwen", srv.url)
        ...
        srv.chats[0]["tools"]          # the JSON body of the first chat request

The same `Reply`/`Fail`/`Raw` script drives either server; each renders it in its protocol.
A request that finds the script empty gets HTTP 500 saying so.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


@dataclass(frozen=True)
class Call:
    """A tool call the server sends. A string `arguments` goes on the wire as that string."""

    name: str
    arguments: Mapping[str, Any] | str = field(default_factory=dict)
    id: str | None = None


@dataclass(frozen=True)
class Reply:
    """One streamed answer.

    text: the content chunks, one wire event each (a str is one chunk).
    calls: tool calls, sent after the text (Ollama: in one event; OpenAI: each call's
        arguments split over several events).
    done_reason: Ollama's `done_reason` / OpenAI's `finish_reason` (default: "stop", or
        "tool_calls" on OpenAI when there are calls).
    usage: (prompt tokens, completion tokens) in the final event; None sends no counts.
    delay: seconds before the response starts (before its headers).
    chunk_delay: seconds between events.
    disconnect_after: cut the socket after this many events (text events come first).
    finish: False ends the body cleanly but without the final event (`done: true` / `[DONE]`).
    """

    text: str | Sequence[str] = ()
    calls: Sequence[Call] = ()
    done_reason: str | None = None
    usage: tuple[int, int] | None = (11, 7)
    delay: float = 0.0
    chunk_delay: float = 0.0
    disconnect_after: int | None = None
    finish: bool = True

    @property
    def chunks(self) -> list[str]:
        return [self.text] if isinstance(self.text, str) else list(self.text)


@dataclass(frozen=True)
class Fail:
    """An HTTP error with the server's usual JSON error body (`message` None: its usual text)."""

    status: int
    message: str | None = None
    delay: float = 0.0


@dataclass(frozen=True)
class Raw:
    """A body sent verbatim, one HTTP chunk per item: for malformed streams."""

    chunks: Sequence[str]
    status: int = 200
    content_type: str = "application/x-ndjson"
    disconnect_after: int | None = None


Response = Reply | Fail | Raw


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: Any  # the JSON body, or the text when it is not JSON, or None


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    owner: _LoopbackServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], OSError):  # a client hanging up is no error here
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # chunked streaming and keep-alive, as the real servers
    timeout = 30  # an idle keep-alive connection must not hold a thread forever
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.owner._opened(self.connection)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        self.server.owner._closed(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the test's output stays readable

    def do_GET(self) -> None:
        self.server.owner._handle(self, b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.server.owner._handle(self, self.rfile.read(length))


class _LoopbackServer:
    chat_path = ""
    default_models = ("test-model",)

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.models: list[str] = list(self.default_models)  # what the model list answers
        self._script: deque[Response] = deque()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sockets: set[socket.socket] = set()
        self._http = _HTTPServer(("127.0.0.1", 0), _Handler)
        self._http.owner = self
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # -- the test's side ------------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self._http.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def script(self, *responses: Response | Iterable[Response]) -> None:
        """Queue responses (or lists of them) for the coming chat requests, in order."""
        with self._lock:
            for item in responses:
                if isinstance(item, Reply | Fail | Raw):
                    self._script.append(item)
                else:
                    self._script.extend(item)

    @property
    def remaining(self) -> int:
        """Scripted responses no request has taken yet."""
        with self._lock:
            return len(self._script)

    @property
    def chats(self) -> list[Any]:
        """The JSON bodies of the chat requests, in order."""
        with self._lock:
            return [r.body for r in self.requests if r.path == self.chat_path]

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()  # ends the delays of responses still being written
        self._http.shutdown()
        self._http.server_close()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:  # wakes handler threads waiting on idle keep-alive connections
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=5)

    # -- the server's side ----------------------------------------------------------------

    def _opened(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)

    def _closed(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)

    def _handle(self, handler: _Handler, raw: bytes) -> None:
        text = raw.decode("utf-8", "replace")
        try:
            body: Any = json.loads(text) if text else None
        except json.JSONDecodeError:
            body = text
        path = handler.path.split("?", 1)[0]
        headers = {k.lower(): v for k, v in handler.headers.items()}
        with self._lock:
            self.requests.append(Received(handler.command, path, headers, body))
        if handler.command == "GET":
            self._get(handler, path)
            return
        if path != self.chat_path:
            self._post(handler, path, body)
            return
        with self._lock:
            response = self._script.popleft() if self._script else None
        if response is None:
            _send_json(handler, 500, {"error": "loopback server: the script has no reply left"})
            return
        model = str(body.get("model", "")) if isinstance(body, dict) else ""
        if isinstance(response, Fail):
            if response.delay and self._stop.wait(response.delay):
                return
            _send_json(handler, response.status, self._error_body(response, model))
        elif isinstance(response, Raw):
            chunks = [c.encode() for c in response.chunks]
            self._stream(handler, chunks, response.content_type, response.disconnect_after)
        else:
            events = self._events(response, model, body if isinstance(body, dict) else {})
            if response.delay and self._stop.wait(response.delay):
                return
            self._stream(
                handler,
                events,
                self.content_type,
                response.disconnect_after,
                chunk_delay=response.chunk_delay,
                status=200,
            )

    content_type = "application/octet-stream"

    def _stream(
        self,
        handler: _Handler,
        events: list[bytes],
        content_type: str,
        disconnect_after: int | None,
        *,
        chunk_delay: float = 0.0,
        status: int = 200,
    ) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        try:
            for n, event in enumerate(events):
                if disconnect_after is not None and n >= disconnect_after:
                    _cut(handler)
                    return
                if n and chunk_delay and self._stop.wait(chunk_delay):
                    _cut(handler)
                    return
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
            if disconnect_after is not None:
                _cut(handler)
                return
            handler.wfile.write(b"0\r\n\r\n")
        except OSError:  # the client gave up (a timeout test): nothing more to send
            handler.close_connection = True

    def _get(self, handler: _Handler, path: str) -> None:
        _send_json(handler, 404, {"error": f"loopback server: no route {path}"})

    def _post(self, handler: _Handler, path: str, body: Any) -> None:
        _send_json(handler, 404, {"error": f"loopback server: no route {path}"})

    def _events(self, reply: Reply, model: str, request: dict[str, Any]) -> list[bytes]:
        raise NotImplementedError

    def _error_body(self, fail: Fail, model: str) -> Any:
        raise NotImplementedError


class OllamaServer(_LoopbackServer):
    """Ollama's `/api/chat` (NDJSON), `/api/tags`, `/api/version` and `/api/show` (a model's
    Modelfile parameters and trained context length: set `num_ctx` / `trained`)."""

    chat_path = "/api/chat"
    content_type = "application/x-ndjson"
    default_models = ("test-model:latest",)
    num_ctx: int | None = None  # the Modelfile's `PARAMETER num_ctx`
    trained = 32768  # model_info's `<arch>.context_length`
    capabilities = ("completion", "tools")

    def _post(self, handler: _Handler, path: str, body: Any) -> None:
        if path != "/api/show":
            super()._post(handler, path, body)
            return
        parameters = 'stop "<|im_end|>"'
        if self.num_ctx:
            parameters += f"\nnum_ctx {self.num_ctx}"
        _send_json(
            handler,
            200,
            {
                "modelfile": "FROM test",
                "parameters": parameters,
                "template": "{{ .Prompt }}",
                "details": {"format": "gguf", "family": "qwen2"},
                "model_info": {
                    "general.architecture": "qwen2",
                    "qwen2.context_length": self.trained,
                },
                "capabilities": list(self.capabilities),
            },
        )

    def _get(self, handler: _Handler, path: str) -> None:
        if path == "/api/tags":
            models = [{"name": m, "model": m, "size": 1} for m in self.models]
            _send_json(handler, 200, {"models": models})
        elif path == "/api/version":
            _send_json(handler, 200, {"version": "0.12.0"})
        else:
            super()._get(handler, path)

    def _events(self, reply: Reply, model: str, request: dict[str, Any]) -> list[bytes]:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000000000Z", time.gmtime())
        base = {"model": model, "created_at": stamp}
        lines: list[dict[str, Any]] = [
            {**base, "message": {"role": "assistant", "content": chunk}, "done": False}
            for chunk in reply.chunks
        ]
        if reply.calls:
            calls = [
                {
                    **({"id": c.id} if c.id else {}),
                    "function": {"index": i, "name": c.name, "arguments": c.arguments},
                }
                for i, c in enumerate(reply.calls)
            ]
            message = {"role": "assistant", "content": "", "tool_calls": calls}
            lines.append({**base, "message": message, "done": False})
        if reply.finish:
            prompt, completion = reply.usage or (None, None)
            lines.append(
                {
                    **base,
                    "message": {"role": "assistant", "content": ""},
                    "done": True,
                    "done_reason": reply.done_reason or "stop",
                    "total_duration": 1_000_000,
                    "load_duration": 1000,
                    "prompt_eval_count": prompt,
                    "prompt_eval_duration": 1000,
                    "eval_count": completion,
                    "eval_duration": 1000,
                }
            )
        return [json.dumps(line).encode() + b"\n" for line in lines]

    def _error_body(self, fail: Fail, model: str) -> Any:
        defaults = {404: f'model "{model}" not found, try pulling it first'}
        return {"error": fail.message or defaults.get(fail.status, "internal error")}


class OpenAIServer(_LoopbackServer):
    """An OpenAI-compatible `/v1/chat/completions` (SSE) and `/v1/models`."""

    chat_path = "/v1/chat/completions"
    content_type = "text/event-stream"
    argument_pieces = 3  # each call's arguments arrive split over this many events

    @property
    def api_url(self) -> str:
        return f"{self.url}/v1"

    def _get(self, handler: _Handler, path: str) -> None:
        if path == "/v1/models":
            data = [{"id": m, "object": "model", "owned_by": "test"} for m in self.models]
            _send_json(handler, 200, {"object": "list", "data": data})
        else:
            super()._get(handler, path)

    def _events(self, reply: Reply, model: str, request: dict[str, Any]) -> list[bytes]:
        base = {
            "id": "chatcmpl-loopback",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
        }

        def choice(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

        events = [
            choice({"role": "assistant", "content": chunk} if n == 0 else {"content": chunk})
            for n, chunk in enumerate(reply.chunks)
        ]
        for i, call in enumerate(reply.calls):
            arguments = call.arguments
            if not isinstance(arguments, str):
                arguments = json.dumps(arguments)
            first, *rest = _split(arguments, self.argument_pieces)
            head = {
                "index": i,
                "id": call.id or f"call_loopback_{i}",
                "type": "function",
                "function": {"name": call.name, "arguments": first},
            }
            events.append(choice({"tool_calls": [head]}))
            events += [
                choice({"tool_calls": [{"index": i, "function": {"arguments": piece}}]})
                for piece in rest
            ]
        out = [b"data: " + json.dumps(e).encode() + b"\n\n" for e in events]
        if reply.finish:
            reason = reply.done_reason or ("tool_calls" if reply.calls else "stop")
            out.append(b"data: " + json.dumps(choice({}, reason)).encode() + b"\n\n")
            if reply.usage and (request.get("stream_options") or {}).get("include_usage"):
                prompt, completion = reply.usage
                usage = {
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "total_tokens": prompt + completion,
                }
                out.append(b"data: " + json.dumps({**base, "choices": [], "usage": usage}).encode())
                out[-1] += b"\n\n"
            out.append(b"data: [DONE]\n\n")
        return out

    def _error_body(self, fail: Fail, model: str) -> Any:
        defaults = {
            401: "Incorrect API key provided.",
            404: f"The model `{model}` does not exist or you do not have access to it.",
        }
        message = fail.message or defaults.get(fail.status, "The server had an error.")
        return {"error": {"message": message, "type": "invalid_request_error", "code": None}}


def _split(text: str, pieces: int) -> list[str]:
    size = max(1, -(-len(text) // pieces))
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def _send_json(handler: _Handler, status: int, body: Any) -> None:
    data = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json; charset=utf-8")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    with contextlib.suppress(OSError):
        handler.wfile.write(data)


def _cut(handler: _Handler) -> None:
    """Drop the connection mid-body, as a crashed server does."""
    handler.close_connection = True
    with contextlib.suppress(OSError):
        handler.connection.shutdown(socket.SHUT_RDWR)


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
