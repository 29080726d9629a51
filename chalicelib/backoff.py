"""How long to wait before trying again: one formula for every retry in the gateway.

Exponential growth from `first` by `factor` per attempt, capped, with optional jitter so that many
clients failing together do not retry together:
- dispatch to a carrier: equal jitter (half fixed, half random), so it never collapses to zero;
- webhook deliveries: +-20 % around the exponential value;
- DynamoDB batch reads handing keys back (throttling): no jitter, capped at a second.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable, Literal

Random = Callable[[float, float], float]


@dataclass(frozen=True)
class Backoff:
    first: float
    cap: float
    factor: float = 2.0
    jitter: Literal["none", "equal", "proportional"] = "none"
    spread: float = 0.2   # proportional jitter: +- this fraction

    def ceiling(self, attempt: int) -> float:
        """The wait after the `attempt`-th failure (counting from 1) before jitter."""
        return min(self.cap, self.first * self.factor ** max(0, attempt - 1))

    def seconds(self, attempt: int, rand: Random = random.uniform) -> float:
        ceiling = self.ceiling(attempt)
        if self.jitter == "equal":
            return ceiling / 2 + rand(0, ceiling / 2)
        if self.jitter == "proportional":
            return ceiling * rand(1 - self.spread, 1 + self.spread)
        return ceiling


#: Keys a BatchGetItem handed back unread are asked for again after this (AWS's advice under throttling).
BATCH_READ = Backoff(first=0.1, cap=1.0)
