"""The local stack refuses a moto release its patches were not written for, and says which."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

from local import moto_version

ROOT = Path(__file__).resolve().parents[2]


def test_the_pinned_moto_is_the_one_the_patches_were_written_for() -> None:
    pinned = re.search(r"^moto\[server\]==(\S+)$", (ROOT / "requirements-dev.txt").read_text(), re.M).group(1)
    assert pinned == moto_version.PATCHED_FOR
    moto_version.check()  # the installed one


def test_another_release_is_refused_with_both_versions_named() -> None:
    with pytest.raises(moto_version.UnsupportedMoto) as refused:
        moto_version.check("5.3.0")
    assert "5.2.5" in str(refused.value) and "5.3.0" in str(refused.value)


def test_the_local_stack_does_not_start_on_another_release(tmp_path) -> None:
    code = ("import moto; moto.__version__ = '9.9.9'\n"
            "import sys; from local import stack; sys.exit(stack.main(['--port', '0']))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "refusing to start" in done.stderr and "9.9.9" in done.stderr and moto_version.PATCHED_FOR in done.stderr
