"""A schedule (EventBridge Scheduler in AWS) that invokes a function at `rate(...)` or `cron(...)` times.

The event is EventBridge's "Scheduled Event". Cron expressions are AWS's six
fields (minutes hours day-of-month month day-of-week year, UTC); this local
scheduler evaluates numbers, ranges, lists, steps, `*` and `?`, and refuses
at start-up, naming the field, what it does not evaluate (`L`, `W`, `#`, day
names), rather than firing at the wrong time. An invocation that fails is
counted and logged; Scheduler's own retry policy is not played.
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from local_platform.functions.spec import Function
from local_platform.pollers.background import BackgroundPoller
from platform_core.lambda_context import LOCAL_ACCOUNT_ID

log = logging.getLogger(__name__)

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\(([^)]+)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86_400}
# (lowest, highest) of each cron field; day-of-week is 1-7 = SUN-SAT in AWS.
_FIELDS = (
    ("minutes", 0, 59),
    ("hours", 0, 23),
    ("day-of-month", 1, 31),
    ("month", 1, 12),
    ("day-of-week", 1, 7),
    ("year", 1970, 2199),
)


class UnsupportedSchedule(ValueError):
    pass


def _values(text: str, field: str, low: int, high: int) -> set[int] | None:
    """The values a cron field allows (None: any)."""
    if text in ("*", "?"):
        return None
    values: set[int] = set()
    for part in text.split(","):
        match = re.fullmatch(r"(\*|\d+)(?:-(\d+))?(?:/(\d+))?", part)
        if match is None:
            raise UnsupportedSchedule(
                f"cron field {field} {text!r}: only numbers, ranges, lists, steps, * and ?"
            )
        start = low if match[1] == "*" else int(match[1])
        end = int(match[2]) if match[2] else (high if match[1] == "*" or match[3] else start)
        values.update(range(start, end + 1, int(match[3] or 1)))
    if not all(low <= v <= high for v in values):
        raise UnsupportedSchedule(f"cron field {field} {text!r} is outside {low}-{high}")
    return values


class CronSchedule:
    def __init__(self, fields: str):
        parts = fields.split()
        if len(parts) != 6:
            raise UnsupportedSchedule(f"cron({fields}): AWS cron has 6 fields")
        self._allowed = [_values(text, *spec) for text, spec in zip(parts, _FIELDS, strict=True)]

    def next_after(self, moment: datetime) -> datetime:
        minutes, hours, days, months, weekdays, years = self._allowed
        candidate = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
        for _ in range(366 * 24 * 60 * 5):  # five years of minutes at most
            aws_weekday = (candidate.isoweekday() % 7) + 1  # SUN=1 ... SAT=7
            if (
                (years is None or candidate.year in years)
                and (months is None or candidate.month in months)
                and (days is None or candidate.day in days)
                and (weekdays is None or aws_weekday in weekdays)
                and (hours is None or candidate.hour in hours)
                and (minutes is None or candidate.minute in minutes)
            ):
                return candidate
            candidate += timedelta(minutes=1)
        raise UnsupportedSchedule("the cron expression never fires in the next five years")


def next_fire(expression: str, after: datetime) -> datetime:
    rate = _RATE.match(expression)
    if rate:
        return after + timedelta(seconds=int(rate[1]) * _UNIT_SECONDS[rate[2].rstrip("s")])
    cron = _CRON.match(expression)
    if cron:
        return CronSchedule(cron[1]).next_after(after)
    raise UnsupportedSchedule(f"{expression!r} is neither rate(...) nor cron(...)")


class Scheduler(BackgroundPoller):
    """A platform component: fires one function on its schedule."""

    def __init__(self, function: Function, expression: str, region: str = "eu-west-1"):
        self.name = f"{function.spec.name}-schedule"
        self._function = function
        self._expression = expression
        self._region = region
        next_fire(expression, datetime.now(UTC))  # refuse what cannot be evaluated, at start-up
        self._next: datetime | None = None
        self._lock = threading.Lock()
        self.stats = {"invocations": 0, "function_errors": 0}
        super().__init__()

    def status(self) -> dict[str, Any]:
        return {
            "schedule": self._expression,
            "function": self._function.spec.name,
            "running": self.running,
            "next": self._next.isoformat() if self._next else None,
            **self.stats,
        }

    def _run(self) -> None:
        self._next = next_fire(self._expression, datetime.now(UTC))
        while not self._stopping.wait(max(0.0, (self._next - datetime.now(UTC)).total_seconds())):
            self.fire(self._next)
            self._next = next_fire(self._expression, self._next)

    def fire(self, at: datetime | None = None) -> Any:
        """Invoke the function once with the Scheduled Event (the schedule's tick, or a test's)."""
        at = at or datetime.now(UTC)
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.scheduler",
            "account": LOCAL_ACCOUNT_ID,
            "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": self._region,
            "resources": [
                f"arn:aws:scheduler:{self._region}:{LOCAL_ACCOUNT_ID}:schedule/default/{self._function.spec.name}"
            ],
            "detail": {},
        }
        invocation = self._function.invoke(event)
        with self._lock:
            self.stats["invocations"] += 1
            self.stats["function_errors"] += invocation.failed
        if invocation.failed:
            log.warning("%s: function error (%s)", self.name, invocation.error_message)
        return invocation
