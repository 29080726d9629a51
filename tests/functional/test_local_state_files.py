"""The local stack's state files (local/state_files.py), the keeper that saves them
(local/aws_state.StateKeeper) and `make reset`."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from local import aws_state
from local.state_files import AwsStateFiles, StateInUse, UnreadableState

ROOT = Path(__file__).resolve().parents[2]
STATE = {"tables": [], "queues": [{"name": "q", "attributes": {}, "messages": []}], "buckets": []}


def test_a_write_replaces_the_snapshot_whole_and_leaves_no_temporary_file(tmp_path):
    files = AwsStateFiles(tmp_path / "state")
    files.write("first")
    files.partial.write_text("half of a save a kill interrupted")
    files.write("second")
    assert files.read() == "second"
    assert sorted(path.name for path in files.directory.iterdir()) == ["aws-state.json"]
    assert stat.S_IMODE(files.snapshot.stat().st_mode) == 0o600  # it holds webhook secrets


def test_only_one_stack_holds_the_state_at_a_time(tmp_path):
    first, second = AwsStateFiles(tmp_path), AwsStateFiles(tmp_path)
    first.lock()
    with pytest.raises(StateInUse):
        second.lock()
    first.unlock()
    second.lock()
    second.unlock()


class Keeper:
    """A StateKeeper over `files` with a change counter the test moves."""

    def __init__(self, files: AwsStateFiles, every: float = 3600) -> None:
        self.changes = 0
        self.captures = 0
        self.restored: list[dict] = []
        self.keeper = aws_state.StateKeeper(files, self._capture, lambda: self.changes, every)

    def _capture(self) -> dict:
        self.captures += 1
        return {**STATE, "tables": [{"definition": {}, "time_to_live": None, "items": [], "n": self.changes}]}

    def start(self) -> None:
        self.keeper.start(self._restore)

    def _restore(self, state: dict) -> None:
        self.restored.append(state)
        self.changes += 5  # restoring writes through the API: counted like any write


def _saved_change(files: AwsStateFiles) -> int | None:
    text = files.read()
    return None if text is None else aws_state.decode(text, "test")["tables"][0]["n"]


def test_the_keeper_restores_then_saves_only_what_changed_and_once_more_at_stop(tmp_path):
    files = AwsStateFiles(tmp_path)
    files.write(aws_state.encode(STATE))
    kept = Keeper(files)
    kept.start()
    assert kept.restored == [STATE]
    with pytest.raises(StateInUse):
        AwsStateFiles(tmp_path).lock()
    assert kept.keeper.save_if_changed() is False  # the restore itself is not a change
    kept.changes += 1
    assert kept.keeper.save_if_changed() is True
    assert _saved_change(files) == 6
    assert kept.keeper.save_if_changed() is False
    kept.changes += 1
    kept.keeper.stop()
    assert (_saved_change(files), kept.captures) == (7, 2)
    AwsStateFiles(tmp_path).lock()  # let go at stop


def test_the_keeper_saves_periodically_while_running(tmp_path):
    files = AwsStateFiles(tmp_path)
    kept = Keeper(files, every=0.05)
    kept.start()
    kept.changes = 1
    deadline = time.monotonic() + 5
    while _saved_change(files) != 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _saved_change(files) == 1
    kept.keeper.stop()


def test_a_state_that_cannot_be_read_or_restored_is_left_as_it_is(tmp_path):
    files = AwsStateFiles(tmp_path)
    files.write("not a state file")
    kept = Keeper(files)
    with pytest.raises(UnreadableState):
        kept.start()
    kept.changes = 1
    kept.keeper.stop()
    assert files.read() == "not a state file"

    def restore_fails(state: dict) -> None:
        raise RuntimeError("the local AWS refused a request")

    files.write(aws_state.encode(STATE))
    failing = aws_state.StateKeeper(files, lambda: STATE, lambda: 1, 3600)
    with pytest.raises(RuntimeError):
        failing.start(restore_fails)
    failing.stop()
    assert aws_state.decode(files.read(), "test") == STATE
    AwsStateFiles(tmp_path).lock()  # not held after a failed start


def _make_reset(state_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", "-C", str(ROOT), "reset", f"PYTHON={sys.executable}"],
                          env={**os.environ, "LOCAL_STATE_DIR": str(state_dir)}, capture_output=True, text=True,
                          timeout=60)


def test_make_reset_deletes_the_saved_state_and_nothing_else(tmp_path):
    files = AwsStateFiles(tmp_path)
    files.write(aws_state.encode(STATE))
    files.partial.write_text("{")
    files.lock()
    files.unlock()
    (tmp_path / "dev-carrier-credentials.json").write_text(json.dumps({"zto": {}}))
    (tmp_path / "notes.txt").write_text("mine")

    done = _make_reset(tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["dev-carrier-credentials.json", "notes.txt"]
    assert _make_reset(tmp_path).returncode == 0  # nothing to reset is fine too


def test_make_reset_refuses_while_a_stack_holds_the_state(tmp_path):
    files = AwsStateFiles(tmp_path)
    files.write(aws_state.encode(STATE))
    files.lock()
    try:
        done = _make_reset(tmp_path)
    finally:
        files.unlock()
    assert done.returncode != 0
    assert "another local stack" in done.stderr
    assert files.read() is not None
