"""Files served over HTTP(S), read with the standard library only.

``scan https://host/model.keras`` needs three requests: one for the size
(``HEAD``), then ranged ``GET`` requests for the end of the archive and for
``config.json``. No third-party package is needed for it, and every bound
is ours to set:

- each request has a time limit for connecting and receiving the answer's
  headers, and another for the body, so a server that does not answer, or
  answers a byte a second, is given up on (a socket's own timeout bounds
  each wait, not the sum: a watchdog cuts the connection when time is up);
- a server that ignores ``Range`` and sends the whole file is read only as
  far as the range needed, then the connection is closed: nothing is ever
  downloaded whole by surprise;
- redirects are followed (object stores and CDNs use them), at most five,
  never from ``https`` to plain ``http``; a ``HEAD`` stays a ``HEAD``, and
  later requests go straight to where the first one was sent.
"""

from __future__ import annotations

import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from keras_rescaling_patch.files.stores.location import Url
from keras_rescaling_patch.files.stores.remote import Listed, RemoteUnavailable

USER_AGENT = "keras-rescaling-patch"
MAX_REDIRECTS = 5
CHUNK = 64 * 1024
# A server that ignores Range: its first bytes are read, up to this much.
WITHOUT_RANGES_BYTES = 1024 * 1024
CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")


class HttpError(OSError):
    """A request failed; the message says why, in a few words. ``answered``:
    the server sent an answer (an error status), rather than none in time."""

    def __init__(self, text: str, *, answered: bool = False) -> None:
        super().__init__(text)
        self.answered = answered


class _Redirects(urllib.request.HTTPRedirectHandler):
    max_redirections = MAX_REDIRECTS

    def redirect_request(
        self, request: Any, fp: Any, code: int, message: str, headers: Any, new: str
    ) -> Any:
        if request.full_url.startswith("https:") and new.startswith("http:"):
            raise HttpError(
                f"redirected from https to plain http ({new}); not followed"
            )
        follow = super().redirect_request(request, fp, code, message, headers, new)
        if follow is not None:  # the standard handler turns HEAD into GET
            follow.method = request.get_method()
            follow.watchdog = getattr(request, "watchdog", None)  # type: ignore[attr-defined]
        return follow


class _Watchdog:
    """Cuts the connections of one request (its redirects included) if the
    answer's headers have not all arrived ``seconds`` after it began.

    A socket's timeout bounds each wait for bytes, and a server that sends
    a header byte a second never lets one run out; ``http.client`` would
    wait for hours. Closing the socket from here makes the blocked read
    return, and ``expired`` tells the caller it was the time limit.
    """

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._connections: list[Any] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._cut)
        self._timer.daemon = True

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()
        with self._lock:  # a cut under way has finished
            pass

    def watch(self, connection: Any) -> None:
        """Cut ``connection`` too, including after it connects late."""
        connect = connection.connect

        def connect_in_time() -> None:
            connect()
            with self._lock:
                if self.expired:
                    _shut(connection)

        connection.connect = connect_in_time
        with self._lock:
            self._connections.append(connection)

    def _cut(self) -> None:
        with self._lock:
            self.expired = True
            for connection in self._connections:
                _shut(connection)


def _shut(connection: Any) -> None:
    if connection.sock is not None:
        try:
            connection.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already closed


class _Watched(urllib.request.AbstractHTTPHandler):
    """A handler whose connections the request's watchdog can cut."""

    def do_open(
        self, http_class: Any, req: urllib.request.Request, **http_conn_args: Any
    ) -> Any:
        watchdog = getattr(req, "watchdog", None)

        def connection(*args: Any, **kwargs: Any) -> Any:
            made = http_class(*args, **kwargs)
            if watchdog is not None:
                watchdog.watch(made)
            return made

        return super().do_open(connection, req, **http_conn_args)


class _HTTPHandler(_Watched, urllib.request.HTTPHandler):
    pass


class _HTTPSHandler(_Watched, urllib.request.HTTPSHandler):
    pass


_OPENER = urllib.request.build_opener(_Redirects, _HTTPHandler, _HTTPSHandler)


def _describe(error: BaseException) -> str:
    if isinstance(error, urllib.error.HTTPError):
        if 300 <= error.code < 400:
            return f"redirected more than {MAX_REDIRECTS} times, or in a loop"
        return f"the server answered {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        reason = error.reason
        if isinstance(reason, OSError) and not isinstance(reason, HttpError):
            return f"cannot reach the server ({reason.strerror or reason})"
        return str(reason)
    if isinstance(error, TooSlow):
        return str(error)
    if isinstance(error, TimeoutError):
        return "the server did not answer in time"
    return str(error) or type(error).__name__


class HttpObject:
    """One URL: its size, and any range of its bytes.

    ``timeout`` bounds each request as a whole, in seconds.
    """

    def __init__(self, url: str, timeout: float) -> None:
        self.url = url
        self.timeout = timeout
        self.requests = 0

    def _open(self, method: str, headers: dict[str, str]) -> Any:
        request = urllib.request.Request(
            self.url, method=method, headers={"User-Agent": USER_AGENT, **headers}
        )
        self.requests += 1
        with _Watchdog(self.timeout) as watchdog:
            request.watchdog = watchdog  # type: ignore[attr-defined]
            try:
                response = _OPENER.open(request, timeout=self.timeout)
            except HttpError:
                raise
            except (urllib.error.URLError, OSError, ValueError) as error:
                if watchdog.expired:
                    raise HttpError(_describe(TimeoutError())) from None
                answered = isinstance(error, urllib.error.HTTPError)
                raise HttpError(_describe(error), answered=answered) from None
        if watchdog.expired:
            response.close()
            raise HttpError(_describe(TimeoutError()))
        # Where a redirect led, later requests go straight.
        self.url = response.geturl()
        return response

    def size(self) -> int:
        """The object's size, from a ``HEAD`` request (or, where a server
        refuses those or does not say, from a one-byte ranged ``GET``; a
        server that does not answer at all is not asked twice)."""
        try:
            with self._open("HEAD", {}) as response:
                length = response.headers.get("Content-Length", "")
                if length.isdigit():
                    return int(length)
        except HttpError as error:
            if not error.answered:
                raise
        with self._open("GET", {"Range": "bytes=0-0"}) as response:
            found = CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
        if found is None or not found[3].isdigit():
            raise HttpError(
                "the server does not say how large the file is, nor serve ranges"
            )
        return int(found[3])

    def fetch(self, start: int, end: int) -> bytes:
        """Bytes ``[start, end)``, read with a ranged ``GET``."""
        deadline = time.monotonic() + self.timeout
        with self._open("GET", {"Range": f"bytes={start}-{end - 1}"}) as response:
            skip = 0
            if response.status == 206:
                found = CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
                if found is None or int(found[1]) != start:
                    raise HttpError("the server answered another range than asked")
            elif end > WITHOUT_RANGES_BYTES:
                raise HttpError(
                    "the server ignores byte ranges, so reading this part would "
                    "download the file from its start; not read"
                )
            else:  # the whole file is coming: read up to the range, no further
                skip = start
            return self._read(response, skip, end - start, deadline)

    def _read(self, response: Any, skip: int, length: int, deadline: float) -> bytes:
        chunks: list[bytes] = []
        wanted = skip + length
        received = 0
        try:
            while received < wanted:
                if time.monotonic() > deadline:
                    raise TimeoutError
                # read1: whatever has arrived, so the deadline is checked
                # between arrivals even when a server trickles bytes.
                chunk = response.read1(min(CHUNK, wanted - received))
                if not chunk:
                    break
                chunks.append(chunk)
                received += len(chunk)
        except (OSError, TimeoutError) as error:
            raise HttpError(_describe(error)) from None
        return b"".join(chunks)[skip:wanted]

    def download(self, destination: Any) -> None:
        """The whole file, into ``destination`` (a new local file).

        A big model may rightly take longer than the time limit, so the
        transfer as a whole is not bounded by it; its progress is: in every
        span of ``timeout`` seconds at least ``MIN_PROGRESS_BYTES`` must
        arrive, so a server that trickles a byte a second is given up on.
        """
        with self._open("GET", {}) as response, open(destination, "xb") as out:
            announced = response.headers.get("Content-Length", "")
            pace = Pace(self.timeout)
            try:
                while True:
                    chunk = response.read1(CHUNK)
                    if not chunk:
                        break
                    out.write(chunk)
                    pace.arrived(len(chunk))
            except (OSError, TimeoutError) as error:
                raise HttpError(_describe(error)) from None
            if announced.isdigit():  # a connection closed early is no end
                check_complete(pace.total, int(announced))


def check_complete(received: int, size: int) -> None:
    """Refuse a whole-file transfer that ended short of the file's size."""
    if received != size:
        raise HttpError(f"the transfer stopped after {received} of {size} bytes")


# A whole-file transfer must move at least this much per time limit.
MIN_PROGRESS_BYTES = 64 * 1024


class TooSlow(TimeoutError):
    """A whole-file transfer moved too little in one time limit."""


class Pace:
    """The progress bound of a whole-file transfer (see ``download``)."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.began = time.monotonic()
        self.moved = 0
        self.total = 0

    def arrived(self, count: int) -> None:
        """Note ``count`` more bytes; :class:`TooSlow` if the span that just
        ended moved too little."""
        self.moved += count
        self.total += count
        now = time.monotonic()
        if now - self.began < self.timeout:
            return
        if self.moved < MIN_PROGRESS_BYTES:
            raise TooSlow(
                f"the server sent less than {MIN_PROGRESS_BYTES // 1024} KiB in "
                f"{self.timeout:g} s"
            )
        self.began, self.moved = now, 0


class HttpStore:
    """The store for ``http://`` and ``https://``: one file per URL, read by
    ranges or downloaded whole; a folder cannot be listed nor a file written."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout

    def reader(self, url: Url) -> HttpObject:
        return HttpObject(url.text, self.timeout)

    def list(self, url: Url) -> Iterator[Listed]:
        if url.names_folder:
            raise RemoteUnavailable(
                f"{url.scheme}:// has no way to list a folder; name each file's "
                "URL (folders and prefixes: s3://, gs://, az://... with fsspec)"
            )
        yield Listed(url.text, None)

    def exists(self, url: Url) -> bool:
        raise RemoteUnavailable(f"cannot write to {url.scheme}:// URLs")

    def download(self, url: Url, destination: Path) -> None:
        HttpObject(url.text, self.timeout).download(destination)

    def upload(self, source: Path, url: Url, *, replace: bool) -> None:
        raise RemoteUnavailable(f"cannot write to {url.scheme}:// URLs")
