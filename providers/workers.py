"""Thread pools that never hold the process open, and the stop signal of a collection.

Live collectors run their SDK calls in threads. ``concurrent.futures.ThreadPoolExecutor`` joins
its threads when the interpreter exits, so after Ctrl-C the process would wait for every call in
flight to finish its retries (up to a minute with a 60 s read timeout). :class:`DaemonPool` runs
the same work on daemon threads: when the collection is interrupted, the consumer stops waiting,
the saved inventory is marked incomplete, and the process exits at once; calls still in flight are
abandoned with it (they only read). A :class:`Stop` event lets the threads that are still running
stop before their next request rather than after it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class CollectionStopped(Exception):
    """Raised in a worker thread that tries to start a request after the collection was stopped."""


class Stop:
    """The stop signal of one collection, checked by the workers before each request."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise CollectionStopped("the collection was stopped")


class DaemonPool:
    """A bounded pool of daemon threads with the ``submit``/``map``/``shutdown`` of an executor.

    Futures are ``concurrent.futures.Future`` objects, so ``wait()`` and ``as_completed()`` work.
    ``shutdown(wait=False)`` (after an interrupt) returns at once and cancels what has not started.
    """

    def __init__(self, max_workers: int, name: str = "sovscan"):
        self._max = max(1, max_workers)
        self._name = name
        self._queue: queue.SimpleQueue[tuple[Future[Any], Callable[..., Any], tuple[Any, ...]] | None] = \
            queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._idle = threading.Semaphore(0)
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        future: Future[T] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot submit to a pool that was shut down")
            self._queue.put((future, fn, args))
            if not self._idle.acquire(blocking=False) and len(self._threads) < self._max:
                thread = threading.Thread(target=self._work, name=f"{self._name}-{len(self._threads)}", daemon=True)
                self._threads.append(thread)
                thread.start()
        return future

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        futures = [self.submit(fn, item) for item in items]
        for future in futures:
            yield future.result()

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            future, fn, args = job
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn(*args))
                except BaseException as exc:  # handed to whoever waits on the future
                    future.set_exception(exc)
            self._idle.release()

    def shutdown(self, wait: bool = True) -> None:
        """Stop taking work; cancel what has not started; with ``wait``, let the running jobs end."""
        with self._lock:
            self._closed = True
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                job[0].cancel()
        for _ in self._threads:
            self._queue.put(None)
        if wait:
            for thread in self._threads:
                thread.join()

    def __enter__(self) -> DaemonPool:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        # After an error or an interrupt, do not wait for calls in flight.
        self.shutdown(wait=exc_type is None)
