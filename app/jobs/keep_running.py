"""The worker and the clock outlive a Redis or database outage.

RQ's worker loop quits on any error outside a job: Redis gone while it records a job's end (the
process exits 1), or a database error in the per-job clean-up (it logs "found an unhandled
exception, quitting" and returns, so the process exits 0, which a supervisor that restarts on
failure takes for a deliberate stop). RQ's cron scheduler quits on the first Redis error of its
loop. A platform restarts a crashed dyno only after growing cool-offs, and every "the sweep will
redo it" depends on the clock: an outage of a minute must not stop the sweeps until someone
restarts the process by hand.

So `worker.py` runs both through `keep_running`: after an end nobody asked for, it waits (1, 2,
4 … 30 s, from 1 s again after a run that lasted a while) and starts again, with the reason in
the log. An end that was asked for (SIGTERM or Ctrl-C, a `--burst` run's empty queues) ends the
process as before, and a SIGTERM during the wait ends it at once (exit 0): nothing runs then.
"""
from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

FIRST_WAIT = 1.0  # seconds before the first restart
LONGEST_WAIT = 30.0  # the wait doubles up to this while restarts keep failing
STEADY_AFTER = 60.0  # a run that lasted this long starts the waits from FIRST_WAIT again


def _stop_now(signum, frame):
    raise SystemExit(0)


def _stop_on_signals() -> None:
    # Between runs a stop asked for ends the process: there is no job to finish.
    signal.signal(signal.SIGTERM, _stop_now)
    signal.signal(signal.SIGINT, _stop_now)


def _wait(seconds: float, sleep: Callable[[float], None]) -> None:
    _stop_on_signals()
    sleep(seconds)


def keep_running(run: Callable[[], bool], *, what: str, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> int:
    """Call `run` until it returns True (an end that was asked for); returns the exit code (0).

    `run` returns False, or raises, when it ended unasked; the error is logged (without the
    arguments of the failed call: a Redis error names only host and port) and `run` is called
    again after the wait."""
    wait = FIRST_WAIT
    while True:
        started = clock()
        try:
            if run():
                return 0
            reason = "it stopped after an error (logged above)"
        except Exception as exc:  # noqa: BLE001 - any unasked end is retried; SystemExit is not an Exception
            reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".rstrip(": ")
        finally:
            # At once, not only for the wait: a SIGTERM from here on reached the ended run's
            # handlers (RQ's), whose object is gone.
            _stop_on_signals()
        if clock() - started >= STEADY_AFTER:
            wait = FIRST_WAIT
        log.warning("%s ended unasked (%s); starting again in %.0f s", what, reason, wait)
        _wait(wait, sleep)
        wait = min(wait * 2, LONGEST_WAIT)
