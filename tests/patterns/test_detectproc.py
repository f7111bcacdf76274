"""The detectors run in a forked helper while ``train`` goes on: the judged findings are
those found in one process; each detector runs once, in one of the two processes; what
a dead helper did not deliver is found here."""

from __future__ import annotations

import multiprocessing
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest

from autoforge_learn.dataset import load_dataset
from autoforge_learn.forked import receive_message, send_message
from autoforge_learn.patterns.cache import cache_dir
from autoforge_learn.patterns.detect import DETECTED, run_detectors, start_detection
from autoforge_learn.patterns.detectproc import DetectorProcess, _Ends
from autoforge_learn.sim import simulate
from autoforge_learn.workspace import Workspace


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("detectproc") / ".autoforge"
    simulate(root, projects=40, seed=5)
    return root


@pytest.fixture
def ws(simulated: Path, tmp_path: Path) -> Any:
    root = tmp_path / ".autoforge"
    shutil.copytree(simulated / "ai", root / "ai")
    with Workspace(root) as workspace:
        yield workspace


def _found_here(ws: Workspace) -> list[dict[str, Any]]:
    findings = start_detection(ws, data=load_dataset(ws)).findings()
    shutil.rmtree(cache_dir(ws))  # the next run finds them again
    return [f.to_dict() for f in findings]


def test_findings_found_beside_this_process_are_those_found_in_it(ws: Workspace) -> None:
    here = _found_here(ws)
    process = DetectorProcess.start()
    assert process is not None  # Linux: the detectors run beside the main work
    with process:
        process.prepare()
        detection = start_detection(ws, data=load_dataset(ws), process=process)
        beside = [f.to_dict() for f in detection.findings()]
    assert len(here) > 20
    assert beside == here
    assert detection.data is not None and detection.data.computed_runs() is not None


def test_each_detector_runs_once_in_one_of_the_two_processes(ws: Workspace) -> None:
    data = load_dataset(ws)
    settings = ws.settings.patterns
    process = DetectorProcess.start()
    assert process is not None
    with process:
        assert process.submit(data, settings, DETECTED)
        mine = process.share(lambda p: run_detectors(data, settings, [p]))
        answer = process.result()
    assert answer is not None
    theirs, _runs = answer
    assert set(mine) | set(theirs) == set(DETECTED)
    assert not set(mine) & set(theirs)
    for pattern, findings in {**mine, **theirs}.items():
        assert {f.pattern for f in findings} <= {pattern}


def test_a_child_killed_at_work_leaves_its_detectors_to_this_process(ws: Workspace) -> None:
    here = _found_here(ws)
    process = DetectorProcess.start()
    assert process is not None
    with process:
        detection = start_detection(ws, data=load_dataset(ws), process=process)
        process._process.kill()
        process._process.join()
        assert [f.to_dict() for f in detection.findings()] == here
        assert process.failed


def test_a_child_gone_before_the_data_are_sent_changes_nothing(ws: Workspace) -> None:
    here = _found_here(ws)
    process = DetectorProcess.start()
    assert process is not None
    with process:
        process._process.kill()
        process._process.join()
        detection = start_detection(ws, data=load_dataset(ws), process=process)
        assert detection.process is None  # the send failed: nothing is awaited from it
        assert [f.to_dict() for f in detection.findings()] == here


def test_no_helper_starts_when_the_user_wants_one_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from autoforge_learn.report.chartproc import ChartProcess

    monkeypatch.setenv("AUTOFORGE_SINGLE_PROCESS", "1")
    assert DetectorProcess.start() is None
    assert ChartProcess.start() is None


def _take_all(shared: Any, front: bool, out: Any) -> None:
    ends = _Ends(shared)
    while (position := ends.take(front=front)) is not None:
        out.put(position)
    out.put(None)


def test_the_two_ends_of_the_shared_list_take_every_item_once() -> None:
    context = multiprocessing.get_context("fork")
    shared = context.Array("q", 2)
    _Ends(shared).reset(20_000)
    taken = context.Queue()
    child = context.Process(target=_take_all, args=(shared, True, taken))
    child.start()
    _take_all(shared, False, taken)
    positions, ended = [], 0
    while ended < 2:
        item = taken.get(timeout=60)
        if item is None:
            ended += 1
        else:
            positions.append(item)
    child.join()
    assert sorted(positions) == list(range(20_000))


def test_messages_carry_frames_out_of_band_and_arrive_writable() -> None:
    import numpy as np
    import pandas as pd

    frame = pd.DataFrame({"n": np.arange(200_000), "text": [f"t{i}" for i in range(200_000)]})
    frame["text"] = frame["text"].astype("string[pyarrow]")
    numbers = np.arange(1_000_000)
    ours, theirs = multiprocessing.get_context("fork").Pipe()
    sender = threading.Thread(target=send_message, args=(ours, ("detect", frame, numbers)))
    sender.start()
    kind, received, array = receive_message(theirs)
    sender.join()
    assert kind == "detect"
    pd.testing.assert_frame_equal(received, frame)
    assert (array == numbers).all()
    array[0] = -1  # an array in place, as pandas may change one: its buffer is writable
    assert numbers[0] == 0
