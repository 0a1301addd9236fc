"""CPU work of the jobs (parsing and checking a report, writing its comment) in worker processes, off the
web server's event loop, each call with a wall-time budget.

A call that exceeds the budget raises `OutOfTime`; its worker processes are killed and replaced (a stuck
regex cannot be interrupted any other way), and calls that were running beside it in the killed pool are
run again once on the new one. `configure()` sets the number of processes and the budget (serve does it
from the settings); the pool starts on first use.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any, TypeVar

from bot.report import feedback
from bot.report.check import Verdict, check
from bot.report.rules import RuleSet

if TYPE_CHECKING:
    from bot.report.render import RenderedPage, RenderLimits

log = logging.getLogger(__name__)
T = TypeVar("T")

OUT_OF_TIME = (
    "### ⏱️ This report could not be checked in time\n\n"
    "Checking it took longer than {budget:.0f} s, so the bot stopped. Reports written from the template "
    "check in milliseconds: look for very long lines or thousands of repeated characters (`![`, `<img`, "
    "`#`), remove them and push again."
)


def _die_with_parent() -> None:
    """In each worker process: end with the process that started it, so a server that stops or is killed
    leaves no worker behind: SIGKILL from the kernel when the parent goes (Linux; it reaches a worker stuck
    in a check too), and a watchdog thread that sees the parent change (everywhere else)."""
    import os
    import signal
    import time

    parent = os.getppid()
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="die-with-parent").start()


class OutOfTime(Exception):
    """The call did not finish within the budget."""


class CpuPool:
    def __init__(self, processes: int = 2, budget: float = 20.0) -> None:
        self.processes = processes
        self.budget = budget
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    self.processes,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_die_with_parent,
                )
            return self._executor

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._executor is not broken:
                return
            self._executor = None
        for proc in list(getattr(broken, "_processes", {}).values()):
            proc.kill()
        broken.shutdown(wait=False, cancel_futures=True)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        for attempt in range(2):
            pool = self._pool()
            future = asyncio.wrap_future(pool.submit(fn, *args))
            try:
                return await asyncio.wait_for(future, self.budget)
            except TimeoutError:
                log.warning(
                    "%s took longer than %.0f s: its worker processes are replaced", fn.__name__, self.budget
                )
                await asyncio.to_thread(self._replace, pool)
                raise OutOfTime(fn.__name__) from None
            except BrokenProcessPool:
                await asyncio.to_thread(self._replace, pool)
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Stop the worker processes (a running check is killed)."""
        with self._lock:
            executor = self._executor
        if executor is not None:
            self._replace(executor)


_POOL = CpuPool()


def configure(processes: int, budget: float) -> CpuPool:
    """Set the shared pool's size and budget (before its first use, or it is restarted)."""
    global _POOL
    _POOL.close()
    _POOL = CpuPool(processes, budget)
    return _POOL


def pool() -> CpuPool:
    return _POOL


def check_and_render(
    report: Any,
    rules: RuleSet,
    files: Iterable[str] | None,
    report_dir: str,
    reason: str,
    sha: str,
    limit: int,
    permalink_base: str | None = None,
    contents: Mapping[str, str | None] | None = None,
    max_files: int = 20,
) -> tuple[Verdict, str]:
    """`check` (with the hand-in comparison) and the comment's Markdown (in a worker process); `contents`:
    the texts read for the checklist's evidence (`evidence.to_read`)."""
    verdict = check(
        report,
        rules,
        files,
        report_dir,
        reason,
        permalink_base=permalink_base,
        contents=contents,
        max_files=max_files,
    )
    return verdict, feedback.render(verdict, commit=sha, limit=limit)


def render_snapshot(
    report_text: str,
    fetched: dict[str, bytes],
    files: dict[str, str],
    verdict: Verdict,
    report_dir: str,
    commit: str,
    group: str,
    limits: RenderLimits,
) -> tuple[RenderedPage, set[str]]:
    """The page of a commit from the images fetched so far (in a worker process), and the paths the renderer
    asked for that the commit has but that were not fetched (the job fetches those and renders again)."""
    from bot.report.render import render_page  # the page's stack is imported by the processes that render

    missed: set[str] = set()

    def read(path: str) -> bytes | None:
        data = fetched.get(path)
        if data is None and path in files:
            missed.add(path)
        return data

    page = render_page(
        report_text, read, verdict=verdict, report_dir=report_dir, commit=commit, group=group, limits=limits
    )
    return page, missed


def out_of_time_body() -> str:
    return OUT_OF_TIME.format(budget=_POOL.budget)
