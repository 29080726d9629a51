"""DynamoDB Streams shard iterators in moto, kept to the most recent few.

moto keeps every shard iterator it hands out, for ever: each `GetShardIterator` and each
`GetRecords` (whose answer names the next iterator) adds one to the backend's dict. The stream pump
reads every shard several times a second, so a local stack left running grows by a few hundred
thousand iterators an hour. DynamoDB itself expires an iterator after 15 minutes; here the
backend keeps the `KEEP` newest and forgets older ones (a reader holding a forgotten one gets
moto's error for an unknown iterator, as it would for an expired one). The pump takes a fresh
iterator for every read, so it only ever uses the newest.

Installed by LocalAws.
"""
from __future__ import annotations

import functools
from collections import OrderedDict
from typing import Any

from moto.dynamodbstreams.models import DynamoDBStreamsBackend

from local import moto_version

KEEP = 1024


class RecentIterators(OrderedDict):
    """A dict that forgets its oldest entries beyond `KEEP`."""

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        while len(self) > KEEP:
            self.popitem(last=False)


def install() -> None:
    """Make every DynamoDB Streams backend, existing or to come, keep only recent iterators (idempotent)."""
    moto_version.check()
    original = DynamoDBStreamsBackend.__init__
    if getattr(original, "_keeps_recent_iterators", False):
        return

    @functools.wraps(original)
    def __init__(self: DynamoDBStreamsBackend, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.shard_iterators = RecentIterators(self.shard_iterators)

    __init__._keeps_recent_iterators = True
    DynamoDBStreamsBackend.__init__ = __init__
    from moto.dynamodbstreams.models import dynamodbstreams_backends

    for account in dynamodbstreams_backends.values():
        for backend in account.values():
            if not isinstance(backend.shard_iterators, RecentIterators):
                backend.shard_iterators = RecentIterators(backend.shard_iterators)
