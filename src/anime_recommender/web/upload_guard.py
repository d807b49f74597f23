"""The upload routes protect the process by themselves (with or without the proxy in front): a per-worker
slot taken before the body is read, a deadline on reading it, and framing errors answered as a 400."""
from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, request

log = logging.getLogger(__name__)
KEY = "upload_slots"


class UploadRefused(Exception):
    """An upload not read: `code` (503 busy, 408 too slow, 400 broken framing), headers to send with it."""

    def __init__(self, message: str, code: int, headers: dict[str, str] | None = None, *, title: str | None = None):
        super().__init__(message)
        self.code = code
        self.headers = headers or {}
        self.title = title  # None: the usual title of the code


def init_app(app: Flask) -> None:
    """The worker's upload slots (a fork copies them free: no upload runs while the master preloads)."""
    app.extensions[KEY] = threading.BoundedSemaphore(app.config["APP_CONFIG"].serving.upload_slots)


@contextmanager
def upload_slot() -> Iterator[None]:
    """Hold one of the worker's upload slots while the body is read and parsed; a 503 when all are taken."""
    slots = current_app.extensions[KEY]
    if not slots.acquire(blocking=False):
        retry = current_app.config["APP_CONFIG"].serving.upload_retry_after_s
        raise UploadRefused(f"the server is reading as many uploads as it can right now: try again in {retry} "
                            "seconds", 503, {"Retry-After": str(retry)}, title="Too many uploads at once")
    try:
        with _body_deadline(current_app.config["APP_CONFIG"].serving.upload_body_timeout_s):
            yield
    finally:
        slots.release()


@contextmanager
def _body_deadline(seconds: float) -> Iterator[None]:
    """Replace wsgi.input by a reader with a deadline for the time the body is read."""
    environ = request.environ
    guarded = DeadlineInput(environ["wsgi.input"], seconds, environ.get("gunicorn.socket"))
    environ["wsgi.input"] = guarded
    try:
        yield
    finally:
        guarded.cancel()


def framing_error(exc: Exception) -> bool:
    """gunicorn's errors for a body it cannot frame (InvalidChunkSize for a chunk size `zz`, ...)."""
    return type(exc).__module__.startswith("gunicorn.http")


class DeadlineInput:
    """wsgi.input that ends at a deadline: under gunicorn a timer shuts the socket's read side, so even a read
    blocked on a client sending one byte a second returns; the read then raises UploadRefused(408). A framing
    error of the body (a chunk size that is not hex, a missing terminator) is UploadRefused(400), logged once."""

    def __init__(self, stream, seconds: float, sock: socket.socket | None):
        self.stream = stream
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.expired = False
        self.timer = threading.Timer(seconds, self._expire, (sock,)) if sock is not None else None
        if self.timer is not None:
            self.timer.daemon = True
            self.timer.start()

    def _expire(self, sock: socket.socket) -> None:
        self.expired = True
        with contextlib.suppress(OSError):  # the client may be gone already
            sock.shutdown(socket.SHUT_RD)

    def cancel(self) -> None:
        if self.timer is not None:
            self.timer.cancel()

    def read(self, *args) -> bytes:
        return self._guarded(self.stream.read, *args)

    def readline(self, *args) -> bytes:
        return self._guarded(self.stream.readline, *args)

    def __iter__(self):
        return iter(self.readline, b"")

    def _guarded(self, read, *args) -> bytes:
        try:
            data = read(*args)
        except Exception as exc:
            if not isinstance(exc, OSError) and not framing_error(exc):
                raise
            if self.expired or isinstance(exc, TimeoutError):  # a worker's own socket timeout: too slow as well
                raise self._too_slow() from None
            log.warning("malformed request body on %s: %s", ascii(request.path[:200]), ascii(str(exc)[:200]))
            raise UploadRefused("the request body is malformed (its framing is broken): send the file again",
                                400) from None
        if self.expired or time.monotonic() > self.deadline:
            raise self._too_slow()
        return data

    def _too_slow(self) -> UploadRefused:
        log.warning("upload body not received within %ss on %s", self.seconds, ascii(request.path[:200]))
        return UploadRefused(f"the file did not arrive within {self.seconds:g} seconds: check your connection "
                             "and upload it again", 408)
