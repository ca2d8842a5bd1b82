"""Scale-out on Dask: the same results as the serial run, byte for byte.

The loopback cluster is started by the test itself (``dask scheduler`` and two ``dask worker``
processes on 127.0.0.1) and stopped by it.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from planner.cli.main import EXIT_BAD_INPUT, main
from planner.scale.runner import ProgressBar, SerialRunner, runner

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CITIES = REPO / "scenarios" / "demo_region_cities.yaml"


@pytest.fixture(scope="module")
def small_scenario(tmp_path_factory) -> Path:
    """One small city of the demo region as a scenario of its own (analyze is quick on it)."""
    data = REPO / "data" / "demo_region" / "north"
    path = tmp_path_factory.mktemp("scale") / "north.yaml"
    path.write_text(
        f"name: north\ninventory: {data / 'enterprises.csv'}\ncity: {data / 'city.yaml'}\nmode: list\n",
        encoding="utf-8",
    )
    return path


def _planner(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "planner"), *args], capture_output=True, text=True, timeout=timeout, cwd=REPO
    )


@pytest.fixture(scope="module")
def serial_analysis(small_scenario) -> str:
    out = _planner("analyze", str(small_scenario), "--format", "json", "--top", "4")
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.fixture(scope="module")
def loopback_cluster(tmp_path_factory):
    """A scheduler and two single-threaded workers on 127.0.0.1; stopped after the tests."""
    folder = tmp_path_factory.mktemp("dask")
    info = folder / "scheduler.json"
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    procs = [
        subprocess.Popen(
            [
                str(BIN / "dask"),
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(info),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
    ]
    try:
        deadline = time.time() + 120
        while not info.is_file() and time.time() < deadline:
            time.sleep(0.5)
        address = json.loads(info.read_text())["address"]
        for _ in range(2):
            procs.append(
                subprocess.Popen(
                    [
                        str(BIN / "dask"),
                        "worker",
                        address,
                        "--nthreads",
                        "1",
                        "--nworkers",
                        "1",
                        "--host",
                        "127.0.0.1",
                        "--no-dashboard",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    env=env,
                    start_new_session=True,
                )
            )
        from distributed import Client

        with Client(address, timeout="60s", set_as_default=False) as client:
            client.wait_for_workers(2, timeout=120)
        yield address
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


@pytest.mark.slow
def test_analyze_on_a_scheduler_prints_exactly_the_serial_json(
    small_scenario, serial_analysis, loopback_cluster
):
    out = _planner(
        "analyze", str(small_scenario), "--format", "json", "--top", "4", "--scheduler", loopback_cluster
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout == serial_analysis
    doc = json.loads(out.stdout)
    assert sum(r["city_saving"] is not None or r["status_after"] is not None for r in doc["upgrades"]) == 4


@pytest.mark.slow
def test_region_plan_on_a_scheduler_equals_the_serial_plan(loopback_cluster, tmp_path):
    serial = _planner("plan", str(CITIES), "--out", str(tmp_path / "a"), "--format", "json")
    dask = _planner(
        "plan", str(CITIES), "--out", str(tmp_path / "b"), "--format", "json", "--scheduler", loopback_cluster
    )
    assert serial.returncode == dask.returncode == 0, dask.stderr

    def strip(doc):
        doc = json.loads(doc)
        doc.pop("timings")
        for c in doc["region"]["cities"].values():
            c.pop("timings")
        return doc

    assert strip(dask.stdout) == strip(serial.stdout)
    assert (tmp_path / "a" / "schedule.csv").read_bytes() == (tmp_path / "b" / "schedule.csv").read_bytes()


@pytest.mark.slow
def test_workers_2_on_the_embedded_cluster(small_scenario, serial_analysis):
    out = _planner("analyze", str(small_scenario), "--format", "json", "--top", "4", "--workers", "2")
    assert out.returncode == 0, out.stderr
    assert out.stdout == serial_analysis


def test_runner_results_keep_the_item_order():
    seen = []
    got = SerialRunner().map(
        _square, [3, 1, 2], shared=10, label="x", progress=lambda d, t, lab: seen.append((d, t, lab))
    )
    assert got == [19, 11, 14]
    assert seen == [(1, 3, "x"), (2, 3, "x"), (3, 3, "x")]


def _square(shared, item):
    return shared + item * item


@pytest.mark.slow
def test_dask_runner_in_process_cluster_keeps_order_and_reports_progress():
    seen = []
    with runner(workers=2) as tasks:
        got = tasks.map(
            _square, list(range(12)), shared=1, label="sq", progress=lambda d, t, lab: seen.append(d)
        )
    assert got == [1 + i * i for i in range(12)]
    assert seen == list(range(1, 13))


def test_progress_bar_draws_on_its_stream_only():
    stream = io.StringIO()
    bar = ProgressBar(stream, width=10, always=True)
    bar(1, 4, "curve")
    bar(4, 4, "curve")
    text = stream.getvalue()
    assert "[##--------] 1/4" in text and text.endswith("[##########] 4/4\n")
    quiet = io.StringIO()
    ProgressBar(quiet)(1, 2, "x")  # not a terminal: nothing drawn
    assert quiet.getvalue() == ""


def test_bad_scale_arguments_are_bad_input(small_scenario, capsys):
    assert main(["analyze", str(small_scenario), "--workers", "0", "--format", "json"]) == EXIT_BAD_INPUT
    doc = json.loads(capsys.readouterr().out)
    assert doc["errors"][0]["column"] == "--workers"


@pytest.mark.slow
def test_unreachable_scheduler_is_named(small_scenario, capsys):
    code = main(["analyze", str(small_scenario), "--scheduler", "tcp://127.0.0.1:9", "--format", "json"])
    assert code == EXIT_BAD_INPUT
    doc = json.loads(capsys.readouterr().out)
    assert doc["errors"][0]["column"] == "--scheduler"
    assert "tcp://127.0.0.1:9" in doc["errors"][0]["message"]
