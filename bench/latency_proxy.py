"""A TCP proxy that puts a network's round trip between the benchmark's
browser and a local server (standard library only).

Locally a round trip costs well under a millisecond; on a real network the
browser is tens of ms from the app, from its static host and from Cognito.
One proxy per origin the page talks to listens on a free loopback port and
forwards bytes, untouched, to its server, holding each chunk half the
round-trip latency in each direction (chunks stay in order per direction):
so every request of the page, CORS preflights included, pays a round trip
on top of the server's own time, whatever that is. A new connection pays one
more, as TCP's handshake does: what the client sends does not leave before a
round trip has passed since it connected. Bandwidth, TCP slow start, DNS and
TLS are not emulated (on a real https network a new connection costs another
round trip for TLS 1.3). One exception to "untouched": the local Cognito's
server closes its connection after every response, where Cognito keeps the
browser's; its proxy keeps the browser's connection open instead (see
:class:`Proxy`'s ``keep_alive``), so that the SPA pays no handshake per call
that it would not pay in production.

Being a TCP relay, it changes nothing the servers see but the port in
``Host`` and ``Origin`` (``127.0.0.1:<the proxy's port>``): loopback hosts,
which the emulators' DNS-rebinding check accepts, and ``http://127.0.0.1:*``,
which the local Authsignal's default allowed origins cover. Cookies are per
host, not per port, and the app's CSRF token travels in its cookie and page.

Run ``python -m bench.latency_proxy --latency-ms 40 app=http://127.0.0.1:8000
...``: it prints one JSON line, each name's proxy origin, then relays until
SIGTERM, SIGINT or its standard input closing. :class:`LatencyProxies` does
that from Python, in a process of its own (so the benchmark's own Python,
busy with the browser's DevTools events, never holds a chunk back).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import selectors
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

CHUNK = 64 * 1024
START_TIMEOUT_SECONDS = 10


def _target(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname or not parts.port:
        raise ValueError(f"expected http://host:port, got {url!r}")
    return parts.hostname, parts.port


class Proxy:
    """One listening socket relaying to ``target`` with ``latency_ms`` added
    per round trip (half each way) and per new connection.

    ``keep_alive``: the server closes its connection after every response
    (Werkzeug's server does, so the local emulators do), where the real
    service keeps the browser's connection for the next request. Relayed as
    is, every request would then pay a new connection's round trip that it
    does not pay in production. So the proxy keeps the browser's connection:
    it drops ``Connection: close`` from a response whose end the browser can
    tell without it (a ``Content-Length``, chunked, no body), does not pass
    the server's close on, and sends the browser's next request on a new
    connection to the server (local, so free: only the browser's side of the
    proxy is delayed)."""

    def __init__(self, target: str, latency_ms: float, keep_alive: bool = False):
        self.host, self.port = _target(target)
        self.one_way = latency_ms / 2000
        self.round_trip = latency_ms / 1000
        self.keep_alive = keep_alive
        self.server: asyncio.base_events.Server | None = None

    async def start(self, listen_host: str = "127.0.0.1") -> str:
        self.server = await asyncio.start_server(self._connection, listen_host, 0)
        return f"http://{listen_host}:{self.server.sockets[0].getsockname()[1]}"

    async def _connection(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        relay = _Relay(self, client_reader, client_writer)
        try:
            await relay.run()
        except (OSError, asyncio.TimeoutError):
            pass
        except asyncio.CancelledError:  # the proxy stops: end quietly (asyncio logs a cancelled handler)
            pass
        finally:
            relay.close()


class _Relay:
    """One browser connection: two delayed queues, one per direction, each
    written by one task, so chunks stay in order."""

    def __init__(self, proxy: Proxy, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter):
        self.proxy = proxy
        self.loop = asyncio.get_running_loop()
        self.client_reader, self.client_writer = client_reader, client_writer
        # The handshake: the client's first bytes leave a round trip after it connected.
        self.usable_at = self.loop.time() + proxy.round_trip
        self.to_client: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()
        self.upstream_writer: asyncio.StreamWriter | None = None
        self.upstream_task: asyncio.Task | None = None
        #: Whether the current server connection has started answering (with
        #: ``keep_alive``, the next request goes on a new one).
        self.answered = False
        self.tasks: list[asyncio.Task] = []

    async def run(self) -> None:
        await self._connect()
        to_client = asyncio.create_task(self._write_client())
        self.tasks.append(to_client)
        await self._client_to_upstream()
        await to_client

    def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        for writer in (self.client_writer, self.upstream_writer):
            if writer is not None:
                writer.close()

    async def _connect(self) -> None:
        if self.upstream_task is not None:  # keep_alive: the server closes after its answer
            await asyncio.wait_for(self.upstream_task, timeout=10)
            self.upstream_writer.close()
        reader, self.upstream_writer = await asyncio.open_connection(self.proxy.host, self.proxy.port)
        self.answered = False
        self.upstream_task = asyncio.create_task(self._read_upstream(reader))
        self.tasks.append(self.upstream_task)

    async def _client_to_upstream(self) -> None:
        """Read the client, write each chunk to the server ``one_way`` later."""
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def receive() -> None:
            try:
                while True:
                    data = await self.client_reader.read(CHUNK)
                    queue.put_nowait((max(self.loop.time(), self.usable_at) + self.proxy.one_way, data))
                    if not data:
                        return
            except OSError:
                queue.put_nowait((self.loop.time(), b""))

        self.tasks.append(asyncio.create_task(receive()))
        while True:
            due, data = await queue.get()
            await self._sleep_until(due)
            if not data:  # the client closed: so does this connection, once the server is done
                if self.upstream_writer.can_write_eof() and not self.upstream_writer.is_closing():
                    self.upstream_writer.write_eof()
                if self.proxy.keep_alive:  # the server's close is not passed on: end the client's side here
                    await asyncio.wait_for(self.upstream_task, timeout=10)
                    self.to_client.put_nowait((self.loop.time(), b""))
                return
            if self.proxy.keep_alive and self.answered:
                await self._connect()
            self.upstream_writer.write(data)
            await self.upstream_writer.drain()

    async def _read_upstream(self, reader: asyncio.StreamReader) -> None:
        """Queue what the server sends for the client, ``one_way`` later; with
        ``keep_alive``, without ``Connection: close`` and without the close."""
        head = b""
        relay_close = not self.proxy.keep_alive
        try:
            while True:
                data = await reader.read(CHUNK)
                if data:
                    self.answered = True
                if self.proxy.keep_alive and head is not None:
                    head += data
                    if data and b"\r\n\r\n" not in head:
                        continue
                    kept = _keep_connection(head) if data else None
                    if kept is None:  # the client can only tell the end by the close: pass it on
                        self.to_client.put_nowait((self.loop.time() + self.proxy.one_way, head))
                        relay_close = True
                    else:
                        self.to_client.put_nowait((self.loop.time() + self.proxy.one_way, kept))
                    head = None
                    if data:
                        continue
                if data or relay_close:
                    self.to_client.put_nowait((self.loop.time() + self.proxy.one_way, data))
                if not data:
                    return
        except OSError:
            self.to_client.put_nowait((self.loop.time(), b""))

    async def _write_client(self) -> None:
        while True:
            due, data = await self.to_client.get()
            await self._sleep_until(due)
            if not data:
                if self.client_writer.can_write_eof() and not self.client_writer.is_closing():
                    self.client_writer.write_eof()
                return
            self.client_writer.write(data)
            await self.client_writer.drain()

    async def _sleep_until(self, due: float) -> None:
        wait = due - self.loop.time()
        if wait > 0:
            await asyncio.sleep(wait)


def _keep_connection(message: bytes) -> bytes | None:
    """``message`` (a response head and what came with it) without its
    ``Connection: close`` header, or None when the response's end is marked
    by the close alone."""
    head, _, rest = message.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    fields = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        fields[name.strip().lower()] = value.strip().lower()
    status = lines[0].split(b" ", 2)[1] if len(lines[0].split(b" ")) > 1 else b""
    delimited = (b"content-length" in fields or b"chunked" in fields.get(b"transfer-encoding", b"")
                 or status in (b"204", b"304") or status.startswith(b"1"))
    if not delimited:
        return None
    kept = [lines[0]] + [line for line in lines[1:]
                         if line.partition(b":")[0].strip().lower() != b"connection"]
    return b"\r\n".join(kept) + b"\r\n\r\n" + rest


async def serve(targets: dict[str, str], latency_ms: float, ready, keep_alive: frozenset[str] = frozenset()) -> None:
    proxies = {name: Proxy(url, latency_ms, keep_alive=name in keep_alive) for name, url in targets.items()}
    origins = {name: await proxy.start() for name, proxy in proxies.items()}
    ready(origins)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    # The parent closing our stdin (it exited, even by a crash) stops us too.
    loop.add_reader(sys.stdin.fileno(), lambda: stop.set() if not sys.stdin.buffer.read1(1024) else None)
    await stop.wait()
    for proxy in proxies.values():
        proxy.server.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.latency_proxy", description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency-ms", type=float, required=True, help="round-trip latency to add")
    parser.add_argument("--keep-alive", action="append", default=[], metavar="NAME",
                        help="keep the client's connection although this server closes after each response")
    parser.add_argument("targets", nargs="+", metavar="NAME=http://HOST:PORT")
    args = parser.parse_args(argv)
    targets = {}
    for item in args.targets:
        name, _, url = item.partition("=")
        try:
            _target(url)
        except ValueError as error:
            parser.error(f"{item}: {error}")
        targets[name] = url

    def ready(origins: dict[str, str]) -> None:
        print(json.dumps(origins), flush=True)

    asyncio.run(serve(targets, args.latency_ms, ready, frozenset(args.keep_alive)))
    return 0


class LatencyProxies:
    """``with LatencyProxies({"app": url, ...}, 40) as origins:`` each name's
    proxy origin, served by a ``python -m bench.latency_proxy`` process that
    is stopped on exit; ``keep_alive``: the names given :class:`Proxy`'s
    ``keep_alive``."""

    def __init__(self, targets: dict[str, str], latency_ms: float, keep_alive: tuple[str, ...] = (),
                 log: Path | None = None):
        self.targets, self.latency_ms, self.keep_alive, self.log = targets, latency_ms, keep_alive, log
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> dict[str, str]:
        stderr = open(self.log, "a") if self.log else subprocess.DEVNULL
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bench.latency_proxy", "--latency-ms", f"{self.latency_ms:g}",
                 *(f"--keep-alive={name}" for name in self.keep_alive),
                 *(f"{name}={url}" for name, url in self.targets.items())],
                cwd=Path(__file__).resolve().parent.parent, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=stderr, text=True,
            )
        finally:
            if self.log:
                stderr.close()
        line = self._first_line()
        try:
            return json.loads(line)
        except ValueError:
            self.__exit__(None, None, None)
            raise RuntimeError(f"the latency proxy did not start (it said {line!r})") from None

    def _first_line(self) -> str:
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            if not selector.select(START_TIMEOUT_SECONDS):
                self.__exit__(None, None, None)
                raise RuntimeError(f"the latency proxy did not start within {START_TIMEOUT_SECONDS} s")
        return self.process.stdout.readline()

    def __exit__(self, *exc) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        finally:
            for stream in (self.process.stdin, self.process.stdout):
                stream.close()


if __name__ == "__main__":
    sys.exit(main())
