"""app.jobs.keep_running: the worker's and the clock's loop is started again after an end nobody
asked for, with waits that double up to a ceiling and start over after a steady run; an end
that was asked for ends the process (exit 0). The real processes are in
tests/faults/test_fault_processes.py."""
from __future__ import annotations

import logging

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from app.jobs import keep_running as module
from app.jobs.keep_running import FIRST_WAIT, LONGEST_WAIT, STEADY_AFTER, keep_running


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_an_end_that_was_asked_for_ends_it():
    assert keep_running(lambda: True, what="The worker", sleep=pytest.fail) == 0


def test_unasked_ends_are_retried_with_waits_that_double(caplog):
    ends = [RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused."), False,
            RedisConnectionError("again")] + [False] * 6 + [True]
    waits = []

    def run():
        end = ends.pop(0)
        if isinstance(end, Exception):
            raise end
        return end

    with caplog.at_level(logging.WARNING, logger=module.__name__):
        assert keep_running(run, what="The clock", sleep=waits.append) == 0
    assert waits == [1, 2, 4, 8, 16, LONGEST_WAIT, LONGEST_WAIT, LONGEST_WAIT, LONGEST_WAIT]
    assert "The clock ended unasked (ConnectionError: Error 111 connecting to 127.0.0.1:6379. Connection refused.); " \
           "starting again in 1 s" in caplog.text
    assert "ended unasked (it stopped after an error (logged above)); starting again in 2 s" in caplog.text


def test_a_steady_run_starts_the_waits_over():
    clock, waits = Clock(), []
    runs = iter([(0, False), (0, False), (0, False), (STEADY_AFTER, False), (0, True)])

    def run():
        lasted, end = next(runs)
        clock.now += lasted
        return end

    assert keep_running(run, what="The worker", sleep=waits.append, clock=clock) == 0
    assert waits == [FIRST_WAIT, 2, 4, FIRST_WAIT]


def test_a_stop_during_the_wait_ends_the_process():
    import os
    import signal

    def sleep(seconds):
        os.kill(os.getpid(), signal.SIGTERM)  # a dyno restart while Redis is away

    previous = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    try:
        with pytest.raises(SystemExit) as stopped:
            keep_running(lambda: False, what="The worker", sleep=sleep)
    finally:
        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGINT, previous[1])
    assert stopped.value.code == 0


def test_a_clock_asked_to_stop_is_not_restarted_when_redis_is_gone_at_its_goodbye(monkeypatch):
    """SIGTERM raises StopRequested in RQ's cron scheduler; with Redis away its goodbye in
    `finally` raises a ConnectionError over it, which read as an outage to restart from."""
    from redis import Redis
    from rq.cron import CronScheduler
    from rq.exceptions import StopRequested

    from app.jobs.schedule import make_clock, run_clock

    clock = make_clock(Redis(port=1))  # nothing is sent to it here

    def start(self):
        try:
            self._request_stop(15, None)  # what RQ's SIGTERM handler runs
        except StopRequested:
            raise RedisConnectionError("Error 111 connecting to 127.0.0.1:1.") from None  # its goodbye

    monkeypatch.setattr(CronScheduler, "start", start)
    assert run_clock(clock) is True

    unasked = make_clock(Redis(port=1))
    monkeypatch.setattr(CronScheduler, "start", lambda self: (_ for _ in ()).throw(RedisConnectionError("down")))
    with pytest.raises(RedisConnectionError):
        run_clock(unasked)
