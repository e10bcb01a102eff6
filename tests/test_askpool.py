"""The ``ask`` thread pool: bounded, first-in first-out for waiting calls, most recently idle thread first."""

from __future__ import annotations

import threading
import time
from concurrent.futures import CancelledError

import pytest

from assistant.askpool import AskPool

TIMEOUT = 10


def threads_named(prefix: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(prefix)]


def threads_left(prefix: str) -> list[threading.Thread]:
    """The pool's threads still alive once they have had ``TIMEOUT`` seconds to end."""
    deadline = time.monotonic() + TIMEOUT
    while threads_named(prefix) and time.monotonic() < deadline:
        time.sleep(0.01)
    return threads_named(prefix)


def test_results_and_exceptions_reach_the_caller() -> None:
    pool = AskPool(2)
    assert pool.submit(lambda: 6 * 7).result(TIMEOUT) == 42

    def fail() -> None:
        raise ValueError("broken question")

    with pytest.raises(ValueError, match="broken question"):
        pool.submit(fail).result(TIMEOUT)
    assert pool.submit(lambda: "still serving").result(TIMEOUT) == "still serving"
    pool.shutdown()


def test_never_more_calls_at_once_than_threads_and_all_of_them_run() -> None:
    pool = AskPool(2)
    lock = threading.Lock()
    running = peak = 0

    def call(i: int) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.005)
        with lock:
            running -= 1
        return i

    futures = [pool.submit(lambda i=i: call(i)) for i in range(30)]
    assert [f.result(TIMEOUT) for f in futures] == list(range(30))
    assert peak == 2
    pool.shutdown()


def test_waiting_calls_run_in_the_order_they_came() -> None:
    pool = AskPool(1)
    release = threading.Event()
    order: list[str] = []
    first = pool.submit(lambda: release.wait(TIMEOUT))
    rest = [pool.submit(lambda name=name: order.append(name)) for name in "abcde"]
    release.set()
    first.result(TIMEOUT)
    for f in rest:
        f.result(TIMEOUT)
    assert order == list("abcde")
    pool.shutdown()


def test_the_thread_that_finished_last_takes_the_next_call() -> None:
    """After two calls at once, calls one at a time stay on one thread (the last to finish), not take turns."""
    pool = AskPool(2)
    started = [threading.Event(), threading.Event()]
    release = [threading.Event(), threading.Event()]
    names: list[str] = ["", ""]

    def hold(i: int) -> None:
        names[i] = threading.current_thread().name
        started[i].set()
        release[i].wait(TIMEOUT)

    futures = [pool.submit(lambda i=i: hold(i)) for i in range(2)]
    assert all(e.wait(TIMEOUT) for e in started)
    assert names[0] != names[1], "two calls at once ran on two threads"
    release[1].set()
    futures[1].result(TIMEOUT)
    release[0].set()
    futures[0].result(TIMEOUT)  # thread 0 finished last
    time.sleep(0.05)  # both threads are idle now
    later = [pool.submit(lambda: threading.current_thread().name).result(TIMEOUT) for _ in range(6)]
    assert later == [names[0]] * 6
    pool.shutdown()


def test_a_call_cancelled_while_waiting_never_runs() -> None:
    pool = AskPool(1)
    release = threading.Event()
    ran: list[str] = []
    busy = pool.submit(lambda: release.wait(TIMEOUT))
    waiting = pool.submit(lambda: ran.append("cancelled one"))
    after = pool.submit(lambda: ran.append("next one"))
    assert waiting.cancel()
    release.set()
    busy.result(TIMEOUT)
    after.result(TIMEOUT)
    assert ran == ["next one"]
    pool.shutdown()


def test_shutdown_cancels_waiting_calls_lets_the_running_one_finish_and_ends_the_threads() -> None:
    pool = AskPool(1, name="ask-shutdown")
    started, release = threading.Event(), threading.Event()

    def hold() -> str:
        started.set()
        release.wait(TIMEOUT)
        return "finished"

    running = pool.submit(hold)
    assert started.wait(TIMEOUT)
    waiting = pool.submit(lambda: "never")
    pool.shutdown()
    with pytest.raises(CancelledError):
        waiting.result(TIMEOUT)
    with pytest.raises(RuntimeError, match="shut down"):
        pool.submit(lambda: "too late")
    release.set()
    assert running.result(TIMEOUT) == "finished"
    assert not threads_left("ask-shutdown-")


def test_idle_threads_end_on_shutdown() -> None:
    pool = AskPool(2, name="ask-idle")
    barrier = threading.Barrier(2)
    for f in [pool.submit(lambda: barrier.wait(TIMEOUT)) for _ in range(2)]:
        f.result(TIMEOUT)
    assert len(threads_named("ask-idle-")) == 2
    pool.shutdown()
    assert not threads_left("ask-idle-")


def test_a_pool_needs_a_thread() -> None:
    with pytest.raises(ValueError, match="at least one thread"):
        AskPool(0)
