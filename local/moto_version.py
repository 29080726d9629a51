"""The moto release the local stack's patches to moto were written against.

`local/moto_transactions.py`, `local/moto_item_responses.py` and `local/moto_stream_iterators.py`
replace parts of moto's DynamoDB internals, and `local/aws_state.py` reads moto's models to save
the local stack's state; on another moto release those parts may have moved or changed meaning,
and the local stack would then misbehave quietly. So the patches refuse to install on any other release, and LocalAws installs
them before it restores or saves any state.
"""
from __future__ import annotations

PATCHED_FOR = "5.2.5"


class UnsupportedMoto(RuntimeError):
    pass


def check(installed: str | None = None) -> None:
    """Raise UnsupportedMoto unless moto `PATCHED_FOR` is the one installed."""
    if installed is None:
        from moto import __version__ as installed
    if installed != PATCHED_FOR:
        raise UnsupportedMoto(
            f"the local stack's moto patches (local/moto_transactions.py, local/moto_item_responses.py, "
            f"local/moto_stream_iterators.py) were written for moto {PATCHED_FOR}, but moto {installed} is "
            f"installed; install the pinned version (pip install -r requirements-dev.txt), or re-check the "
            f"patches against moto {installed} and update local/moto_version.py")
