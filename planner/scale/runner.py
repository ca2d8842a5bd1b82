"""Run independent tasks serially or on a Dask cluster, with the same results in the same order.

A *task* is a module-level function ``fn(shared, item)`` and one item of a list: a share of the
least-cost curve, a loss budget, the position of a firm whose upgrade is re-solved, a city of a
region.  ``shared`` is data every task reads (a PlanInputs dataset, arrays, options); it is sent
to every worker once (``Client.scatter``).  Tasks carry arrays, datasets and scenario paths and
build their model in the worker - never a solver object (a PuLP ``LpProblem`` is not sent).

:func:`runner` gives

- :class:`SerialRunner` for ``workers <= 1`` and no scheduler (the reference);
- :class:`DaskRunner` on an embedded ``distributed.LocalCluster`` (worker processes, one thread
  each, bound to 127.0.0.1, no dashboard) for ``workers > 1``, sized to the machine
  (``min(workers, os.cpu_count())``);
- :class:`DaskRunner` on an existing cluster for ``scheduler="tcp://HOST:PORT"``.

Both return the results in the order of the items, so every report built from them is the same
byte for byte whichever runner computed it.  ``progress(done, total, label)`` is called after
each finished task (in completion order on Dask).
"""

from __future__ import annotations

import contextlib
import os
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from planner.problems import InputError

#: ``progress(done, total, label)``
Progress = Callable[[int, int, str], None]


def _no_progress(done: int, total: int, label: str) -> None:
    return None


class SerialRunner:
    """Run tasks one after the other in this process."""

    workers = 1
    address = None

    def map(
        self,
        fn: Callable[[Any, Any], Any],
        items: Iterable,
        shared: Any = None,
        label: str = "tasks",
        progress: Progress | None = None,
    ) -> list:
        """``[fn(shared, item) for item in items]``, reporting progress after each."""
        progress = progress or _no_progress
        items = list(items)
        out = []
        for k, item in enumerate(items, 1):
            out.append(fn(shared, item))
            progress(k, len(items), label)
        return out


class DaskRunner:
    """Run tasks on a ``distributed.Client``; results in the order of the items.

    Parameters
    ----------
    client : distributed.Client
    """

    def __init__(self, client) -> None:
        self.client = client
        self.address = client.scheduler.address if getattr(client, "scheduler", None) else None

    @property
    def workers(self) -> int:
        """Number of workers of the cluster (at least 1)."""
        return max(1, len(self.client.scheduler_info().get("workers", {})))

    def map(
        self,
        fn: Callable[[Any, Any], Any],
        items: Iterable,
        shared: Any = None,
        label: str = "tasks",
        progress: Progress | None = None,
    ) -> list:
        """Submit one task per item; gather the results in the order of the items.

        A task that raises re-raises here (the first in item order), as in the serial run.
        """
        from distributed import as_completed

        progress = progress or _no_progress
        items = list(items)
        if not items:
            return []
        # one future for the whole shared object (a list of one item scatters that item as is)
        ref = self.client.scatter([shared], broadcast=True)[0] if shared is not None else None
        tag = uuid.uuid4().hex[:8]
        futures = [
            self.client.submit(fn, ref, item, key=f"{label}-{tag}-{k}", pure=False)
            for k, item in enumerate(items)
        ]
        for k, _ in enumerate(as_completed(futures, loop=self.client.loop), 1):
            progress(k, len(items), label)
        return self.client.gather(futures)


def _dask_missing() -> InputError:
    return InputError.single(
        "",
        "--workers/--scheduler need dask.distributed: pip install 'dask[distributed]'",
        column="--workers",
    )


@contextlib.contextmanager
def runner(workers: int = 1, scheduler: str | None = None) -> Iterator[SerialRunner | DaskRunner]:
    """A task runner for the CLI and the app (see the module docstring).

    Parameters
    ----------
    workers : int
        Worker processes of the embedded local cluster; 1 (default) runs serially.
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://HOST:PORT``); ``workers`` is then ignored.

    Raises
    ------
    InputError
        When dask.distributed is not installed, ``workers`` is below 1, or the scheduler cannot be
        reached (named with the address).
    """
    if scheduler is None and int(workers) < 1:
        raise InputError.single("", f"--workers must be at least 1, got {workers}", column="--workers")
    if scheduler is None and int(workers) == 1:
        yield SerialRunner()
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - dask is a dependency
        raise _dask_missing() from None
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="15s", set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise InputError.single(
                "",
                f"cannot reach the Dask scheduler at {scheduler}: {exc}",
                column="--scheduler",
            ) from None
        try:
            yield DaskRunner(client)
        finally:
            client.close()
        return
    n = max(1, min(int(workers), os.cpu_count() or 1))
    cluster = LocalCluster(
        n_workers=n,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",  # loopback, a free port (no fixed 8787)
        silence_logs=40,  # logging.ERROR
    )
    client = Client(cluster, set_as_default=False)
    try:
        yield DaskRunner(client)
    finally:
        client.close()
        cluster.close()


class ProgressBar:
    """A one-line progress bar on a text stream (standard error), redrawn in place on a terminal.

    On a stream that is not a terminal nothing is drawn unless ``always`` (logs stay clean).
    Standard output is never used, so ``--format json`` output stays pure JSON.
    """

    def __init__(self, stream=None, width: int = 30, always: bool = False) -> None:
        self.stream = sys.stderr if stream is None else stream
        self.width = width
        isatty = getattr(self.stream, "isatty", None)
        self.enabled = always or bool(isatty and isatty())

    def __call__(self, done: int, total: int, label: str) -> None:
        """Draw the bar at ``done`` of ``total`` steps of ``label`` (a new line when complete)."""
        if not self.enabled or total <= 0:
            return
        filled = round(self.width * done / total)
        bar = "#" * filled + "-" * (self.width - filled)
        end = "\n" if done >= total else ""
        self.stream.write(f"\r{label:<16} [{bar}] {done}/{total}{end}")
        self.stream.flush()


__all__ = ["DaskRunner", "Progress", "ProgressBar", "SerialRunner", "runner"]
