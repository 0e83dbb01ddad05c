"""Real servers on loopback for the remote-scan tests.

- :class:`RangeServer`: an HTTP server in a thread that serves a folder
  with ``Range`` support (``Accept-Ranges``, ``206``, ``Content-Range``)
  and counts the requests and body bytes it sends, so a test can assert
  what a scan really read; a few paths behave badly on purpose (slow,
  endless, ignoring ranges, redirecting).
- :func:`moto_server`: Amazon S3 as moto's standalone server
  (``moto_server``) in a subprocess on 127.0.0.1 and a free port, which
  s3fs reaches through ``AWS_ENDPOINT_URL``, as s3fs's own tests do.
- :func:`azurite`: Azure Blob Storage as Microsoft's emulator, Azurite,
  installed by ``npm ci`` from ``requirements/npm`` (:func:`npm_tools`),
  which adlfs reaches through ``AZURE_STORAGE_CONNECTION_STRING``.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

RANGE = re.compile(r"bytes=(\d+)-(\d*)$")


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_GET(self) -> None:
        self._serve(head=False)

    def _count(self, sent: int, epoch: int | None = None) -> None:
        with self.server.lock:
            if epoch not in (None, self.server.epoch):
                return  # started before the counts were reset
            self.server.requests.append(
                (self.command, self.path, self.headers.get("Range"))
            )
            self.server.bytes_sent += sent

    def _start_body(self) -> int:
        """A body is on its way: the counts are not final until this thread
        has counted it, and the client may have all of it before then."""
        with self.server.lock:
            self.server.in_flight += 1
            return self.server.epoch

    def _end_body(self, sent: int, epoch: int) -> None:
        self._count(sent, epoch)
        with self.server.lock:
            if epoch == self.server.epoch:
                self.server.in_flight -= 1
                self.server.lock.notify_all()

    def _serve(self, *, head: bool) -> None:
        name = self.path.lstrip("/").split("?")[0]
        behaviour = self.server.behaviours.get(name)
        if behaviour == "redirect":
            self._count(0)
            self.send_response(302)
            self.send_header("Location", self.server.redirects[name])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if behaviour == "forbidden":
            self._count(0)
            self.send_error(403)
            return
        if behaviour == "slow-headers":  # a header byte every 50 ms, for ever
            self._count(0)
            self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Padding: ")
            with contextlib.suppress(OSError):
                deadline = time.monotonic() + self.server.stall_seconds
                while time.monotonic() < deadline:
                    self.wfile.write(b"a")
                    self.wfile.flush()
                    time.sleep(0.05)
            self.close_connection = True
            return
        if behaviour == "silent":
            self._count(0)
            time.sleep(self.server.stall_seconds)  # never answers in time
            return
        path = self.server.folder / name
        if not path.is_file():
            self._count(0)
            self.send_error(404)
            return
        size = path.stat().st_size
        if head:
            self._count(0)  # before the answer, which the client may act on
        epoch = None if head else self._start_body()
        start, end = 0, size
        wanted = RANGE.match(self.headers.get("Range", ""))
        ranged = wanted is not None and behaviour != "ignore-ranges"
        if ranged:
            assert wanted is not None
            start = int(wanted[1])
            end = min(size, int(wanted[2]) + 1) if wanted[2] else size
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{size}")
        else:
            self.send_response(200)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(end - start))
        self.end_headers()
        if epoch is None:
            return
        sent = 0
        try:
            with path.open("rb") as stream:
                stream.seek(start)
                while sent < end - start:
                    if behaviour == "cut-short" and sent >= (end - start) // 2:
                        self.close_connection = True
                        break  # the length promised, half the body sent
                    chunk = stream.read(min(64 * 1024, end - start - sent))
                    if behaviour == "trickle":  # a byte of each 64 KiB, slowly
                        chunk = chunk[:1]
                        time.sleep(self.server.stall_seconds / 10)
                    elif behaviour == "drip":  # every byte, each after a pause
                        stream.seek(start + sent + 1)
                        chunk = chunk[:1]
                        time.sleep(self.server.stall_seconds / 200)
                    self.wfile.write(chunk)
                    sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client had read what it wanted
        finally:
            self._end_body(sent, epoch)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, folder: Path) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.folder = folder
        self.lock = threading.Condition()
        self.epoch = 0  # bumped by each reset of the counts
        self.in_flight = 0  # bodies of this epoch being sent, not yet counted
        self.requests: list[tuple[str, str, str | None]] = []
        self.bytes_sent = 0
        self.behaviours: dict[str, str] = {}
        self.redirects: dict[str, str] = {}
        self.stall_seconds = 30.0


class RangeServer:
    """Serves ``folder`` at :attr:`url` until :meth:`close`."""

    def __init__(self, folder: Path) -> None:
        self._server = _Server(folder)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"

    def behave(self, name: str, behaviour: str, target: str | None = None) -> str:
        """Make ``name`` misbehave: ``redirect`` (to ``target``), ``silent``,
        ``slow-headers``, ``trickle``, ``drip``, ``cut-short``,
        ``ignore-ranges`` or ``forbidden``. Returns its URL."""
        self._server.behaviours[name] = behaviour
        if target is not None:
            self._server.redirects[name] = target
        return f"{self.url}/{name}"

    def reset_counts(self) -> None:
        with self._server.lock:
            self._server.epoch += 1
            self._server.in_flight = 0
            self._server.requests.clear()
            self._server.bytes_sent = 0

    def _settle(self) -> None:
        """Wait (10 s at most) until every body sent is counted."""
        server = self._server
        server.lock.wait_for(lambda: server.in_flight == 0, timeout=10)

    @property
    def requests(self) -> list[tuple[str, str, str | None]]:
        with self._server.lock:
            self._settle()
            return list(self._server.requests)

    @property
    def bytes_sent(self) -> int:
        with self._server.lock:
            self._settle()
            return self._server.bytes_sent

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """Amazon S3 on 127.0.0.1 (moto's standalone server); yields its URL."""
    command = shutil.which("moto_server", path=os.path.dirname(_python()))
    assert command, "moto_server is part of the test requirements (moto[server])"
    port = free_port()
    process = subprocess.Popen(
        [command, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(port, process)
        yield url
    finally:
        _stop(process)


def _python() -> str:
    import sys

    return sys.executable


NPM_FOLDER = Path(__file__).resolve().parent.parent / "requirements" / "npm"


def npm_tools() -> Path:
    """``requirements/npm/node_modules``, installed by ``npm ci`` from the
    lock file if it is not there yet."""
    modules = NPM_FOLDER / "node_modules"
    if not (modules / ".package-lock.json").exists():
        npm = shutil.which("npm")
        assert npm, "npm is needed to install the test tools of requirements/npm"
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
            cwd=NPM_FOLDER,
            check=True,
            capture_output=True,
        )
    return modules


# Azurite's documented development account (public, for the emulator only).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/"
    "K1SZFPTOtr/KBHBeksoGMGw=="
)


@contextlib.contextmanager
def azurite(folder: Path) -> Iterator[str]:
    """Azure Blob Storage on 127.0.0.1; yields its connection string."""
    blob = npm_tools() / ".bin" / "azurite-blob"
    port = free_port()
    process = subprocess.Popen(
        [str(blob), "--blobHost", "127.0.0.1", "--blobPort", str(port),
         "--location", str(folder), "--silent", "--skipApiVersionCheck"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_for(port, process)
        yield (
            f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};"
            f"AccountKey={AZURITE_KEY};"
            f"BlobEndpoint=http://127.0.0.1:{port}/{AZURITE_ACCOUNT};"
        )
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate a server; kill it if it waits on its clients' connections."""
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=30)


def _wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the server did not start") from None
            time.sleep(0.1)
