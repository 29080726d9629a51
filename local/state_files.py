"""Where the local stack keeps its files, and `make reset`.

One directory holds everything the local stack writes: `LOCAL_STATE_DIR`, by default the repository's
git-ignored `.local/`. Tests point it at a temporary directory, so a test stack neither sees a
developer's data nor leaves files in the repository. In it:

- `aws-state.json`: the local AWS (table, queues, bucket) as last saved (local/aws_state.py);
  `aws-state.json.tmp` while a save is being written; `aws-state.lock`, held by the running stack.
- `dev-carrier-credentials.json`: the simulated carriers' credentials, made once (local/stack.py).
- `stack.json`: how to reach the running stack (read by gatewayctl).

`make reset` (`python -m local.state_files reset`) deletes the AWS state files and nothing else.
Standard library only, so it runs without the project's virtualenv.
"""
from __future__ import annotations

import fcntl
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def local_dir() -> Path:
    """`LOCAL_STATE_DIR`, or the repository's `.local/`."""
    return Path(os.environ.get("LOCAL_STATE_DIR") or ROOT / ".local")


class StateInUse(RuntimeError):
    """Another local stack holds the state (two writers would overwrite each other's saves)."""


class UnreadableState(RuntimeError):
    """The saved state is not a file this version of the local stack wrote."""


class AwsStateFiles:
    """The saved local AWS state in `directory`: written whole and atomically, guarded by a lock."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.snapshot = directory / "aws-state.json"
        self.partial = directory / "aws-state.json.tmp"
        self.lock_file = directory / "aws-state.lock"
        self._lock_fd: int | None = None

    def read(self) -> str | None:
        return self.snapshot.read_text(encoding="utf-8") if self.snapshot.exists() else None

    def write(self, text: str) -> None:
        """Replace the snapshot with `text`: a temporary file, flushed to disk, then renamed over it,
        so a kill at any moment leaves the previous snapshot or the new one, never half of one.
        Readable by its owner only, like the carrier credentials: it holds webhook secrets."""
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)  # also when a kill left an older temporary file behind
        with os.fdopen(fd, "w", encoding="utf-8") as partial:
            partial.write(text)
            partial.flush()
            os.fsync(partial.fileno())
        os.replace(self.partial, self.snapshot)

    def lock(self) -> None:
        """Hold the state for this process until `unlock` or exit (the kernel frees it on a kill)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StateInUse(f"another local stack is using {self.directory}; stop it first") from None
        self._lock_fd = fd

    def unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def reset(self) -> list[Path]:
        """Delete the saved state; returns the files deleted. Refused while a stack holds the lock:
        it would save its state again on its next change."""
        if not self.directory.exists():
            return []
        self.lock()
        try:
            deleted = [path for path in (self.snapshot, self.partial) if path.exists()]
            for path in deleted:
                path.unlink()
            self.lock_file.unlink()
            return [*deleted, self.lock_file]
        finally:
            self.unlock()


def main(argv: list[str]) -> int:
    if argv != ["reset"]:
        print("usage: python -m local.state_files reset", file=sys.stderr)
        return 2
    files = AwsStateFiles(local_dir())
    try:
        deleted = files.reset()
    except StateInUse as in_use:
        print(f"not reset: {in_use}", file=sys.stderr)
        return 1
    saved = [path for path in deleted if path != files.lock_file]
    print(f"reset: deleted {', '.join(str(path) for path in saved)}" if saved
          else f"reset: no saved local AWS state in {files.directory}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
