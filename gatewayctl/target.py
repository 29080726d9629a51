"""Where gatewayctl acts: the running local stack (default) or a deployed stage on AWS."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import boto3
import click

from chalicelib.config import DISPATCH_QUEUE, EXPORT_PARTS_QUEUE, NOTIFY_QUEUE
from chalicelib.queues import Queues
from chalicelib.store import Store

if TYPE_CHECKING:
    from chalicelib.usecases.change_writer import ChangeWriter

ROOT = Path(__file__).resolve().parent.parent
STACK_FILE = ROOT / ".local" / "stack.json"
TABLE_NAME = "intercept-gateway"
APP_NAME = "parcel-intercept-gateway"


@dataclass
class Target:
    """AWS clients for one environment. `endpoint` is the local stack's moto server (None on AWS)."""

    session: Any
    endpoint: str | None = None
    stage: str = "local"
    stack_name: str | None = None
    table_name: str = TABLE_NAME
    queues: tuple[str, ...] = (DISPATCH_QUEUE, NOTIFY_QUEUE, EXPORT_PARTS_QUEUE)
    _clients: dict = field(default_factory=dict)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.session.client(service, endpoint_url=self.endpoint)
        return self._clients[service]

    @cached_property
    def store(self) -> Store:
        from chalicelib.config import settings
        from chalicelib.runtime import shards

        return Store(self.client("dynamodb"), self.table_name, shards(settings()))

    @cached_property
    def sqs(self) -> Queues:
        return Queues(self.client("sqs"))

    @cached_property
    def changes(self) -> ChangeWriter:
        """Status changes an operator makes, written like any other (history; webhooks by the
        table's stream; a parcel of an after-sale of several moves its after-sale with it)."""
        from chalicelib.usecases.change_writer import ChangeWriter

        return ChangeWriter(self.store.intercepts, self.store.after_sales)

    @property
    def is_local(self) -> bool:
        return self.stage == "local"

    def get(self) -> "Target":
        return self

    def describe(self) -> str:
        return f"local stack at {self.endpoint}" if self.is_local else f"AWS stage {self.stage} ({self.stack_name})"


def local_target(stack_file: Path = STACK_FILE, endpoint: str | None = None) -> Target:
    if endpoint is None:
        if not stack_file.exists():
            raise click.ClickException("no local stack is running (start it with `make run`), "
                                       "or pass --endpoint, or --stage dev|prod for AWS")
        running = json.loads(stack_file.read_text())
        endpoint = running["aws_endpoint"]
    session = boto3.Session(aws_access_key_id="local", aws_secret_access_key="local", region_name="us-east-1")
    return Target(session=session, endpoint=endpoint)


def aws_target(stage: str, profile: str | None, region: str | None, stack_name: str | None) -> Target:
    session = boto3.Session(profile_name=profile, region_name=region)
    return Target(session=session, stage=stage, stack_name=stack_name or f"{APP_NAME}-{stage}")


class LazyTarget:
    """Resolves the target on first use, so `--help` works with no stack running."""

    def __init__(self, make: Callable[[], Target]) -> None:
        self._make = make
        self._target: Target | None = None

    def get(self) -> Target:
        if self._target is None:
            self._target = self._make()
        return self._target
