"""A small thread pool for ``ask``: a fixed number of threads, a queue, and the most recently idle thread first.

Why not ``concurrent.futures.ThreadPoolExecutor``: its idle threads take turns (first come, first
served), so at one question at a time the work hops between threads. PyTorch keeps an OpenMP team per
calling thread, and the team of the thread that just finished still spins while the next thread's team
starts: over HTTP at one connection that cost a quarter of the answers/s. Here the thread that finished
last takes the next question, as anyio's worker threads do.

Why not anyio's ``to_thread`` with a capacity limiter: a thread that finishes cannot start the next
waiting question before the event loop has woken up, released the limiter and handed the next one over;
on 2 cores at 8–32 connections the cores sat idle 10–12 % of the time. Here a finishing thread takes the
next question straight from the queue.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")
_Job = tuple[Future, Callable[[], Any]]


class QueueFull(RuntimeError):
    """Every thread is busy and ``limit`` calls are already waiting."""


class AskPool:
    """Run calls on at most ``size`` threads, started as needed; calls beyond that wait in first-in, first-out order,
    at most ``limit`` of them (``None``: no limit). A waiting call whose future is cancelled leaves the queue at once."""

    def __init__(self, size: int, name: str = "ask", limit: int | None = None) -> None:
        if size < 1:
            raise ValueError(f"a pool needs at least one thread, not {size}")
        if limit is not None and limit < 0:
            raise ValueError(f"a queue limit cannot be negative, not {limit}")
        self.size = size
        self.limit = limit
        self._name = name
        self._lock = threading.Lock()
        self._pending: deque[_Job] = deque()
        self._idle: list[queue.SimpleQueue[_Job | None]] = []  # a stack: the last to finish is woken first
        self._started = 0
        self._closed = False

    @property
    def waiting(self) -> int:
        """How many calls wait for a thread."""
        return len(self._pending)

    def submit(self, fn: Callable[[], T]) -> Future[T]:
        """``fn()`` on a pool thread; cancelling the future before it starts means it never runs.

        ``QueueFull`` when every thread is busy and ``limit`` calls already wait.
        """
        future: Future[T] = Future()
        job: _Job = (future, fn)
        with self._lock:
            if self._closed:
                raise RuntimeError("the pool is shut down")
            if self._idle:
                self._idle.pop().put(job)
            elif self._started < self.size:
                threading.Thread(target=self._work, args=(job,), daemon=True,
                                 name=f"{self._name}-{self._started}").start()
                self._started += 1
            elif self.limit is not None and len(self._pending) >= self.limit:
                raise QueueFull(f"{self.size} calls are running and {len(self._pending)} are waiting")
            else:
                self._pending.append(job)
                future.add_done_callback(self._forget)
        return future

    def _forget(self, future: Future) -> None:
        """A waiting call was cancelled: its place in the queue is free now, not when a thread reaches it."""
        if not future.cancelled():
            return
        with self._lock:  # not there any more if a thread took it or the pool shut down
            for i, (waiting, _) in enumerate(self._pending):
                if waiting is future:
                    del self._pending[i]
                    return

    def shutdown(self) -> None:
        """No new calls; waiting calls are cancelled; idle threads end, busy ones after their call."""
        with self._lock:
            self._closed = True
            pending, self._pending = list(self._pending), deque()
            idle, self._idle = self._idle, []
        for future, _ in pending:
            future.cancel()
        for inbox in idle:
            inbox.put(None)

    def _work(self, job: _Job | None) -> None:
        inbox: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        while job is not None:
            future, fn = job
            if future.set_running_or_notify_cancel():
                try:
                    result = fn()
                except BaseException as exc:  # the caller gets it, as from any future
                    future.set_exception(exc)
                else:
                    future.set_result(result)
            del job, future, fn  # do not keep the last answer alive while idle
            with self._lock:
                if self._pending:
                    job = self._pending.popleft()
                    continue
                if self._closed:
                    return
                self._idle.append(inbox)
            job = inbox.get()
