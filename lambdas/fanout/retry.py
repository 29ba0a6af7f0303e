"""Retrying throttling and transient AWS errors with capped exponential backoff and full jitter.

botocore's standard retry mode already retries a throttled call a few times;
this is the second line for a throttling storm that outlasts it, and for the
per-entry failures inside a successful SendMessageBatch that botocore never
retries.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from platform_core.aws import is_transient

T = TypeVar("T")


@dataclass(frozen=True)
class Backoff:
    attempts: int = 5
    base_seconds: float = 0.05
    cap_seconds: float = 2.0
    sleep: Callable[[float], None] = time.sleep

    def delay(self, attempt: int) -> float:
        return random.uniform(0, min(self.cap_seconds, self.base_seconds * 2**attempt))

    def call(self, fn: Callable[[], T]) -> T:
        """fn(), retried while it raises a transient error, up to `attempts` tries."""
        for attempt in range(self.attempts):
            try:
                return fn()
            except (ClientError, BotoCoreError) as exc:
                if attempt + 1 >= self.attempts or not is_transient(exc):
                    raise
            self.sleep(self.delay(attempt))
        raise AssertionError("unreachable")


DEFAULT_BACKOFF = Backoff()
