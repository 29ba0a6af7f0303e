"""One delivery (a notification on one channel) as a state machine: pure rules, no I/O.

    pending --claim--> sending --sent----------> sent --feedback--> delivered | bounced
                          |----refused--------> failed
                          |----outage---------> waiting --due--> (claimed again) ... --> failed (retries exhausted)
                          |----policy---------> skipped (opted out, suppressed, nowhere to send)
                          '----unknown--------> waiting, outcome unknown --> sent (the provider says it took it)
                                                                         '-> claimed again, resent (it did not)

The record of an attempt is written before the attempt (a claim with a lease); a claim found
with its lease run out means its sender died mid-attempt, so the outcome is unknown. What
settles an unknown outcome depends on the channel: e-mail and SMS providers report every
message they accepted (SES's Send event, the SMS service's events), so those wait for that
report before sending again; push, webhooks and the inbox carry the delivery's key to the
receiver (the push Topic and tag, the webhook-id, the inbox item's key), which keeps one
copy, so those are sent again at once.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum

from lambdas.notifications.catalog import Channel


class Status(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    WAITING = "waiting"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"
    DELIVERED = "delivered"
    BOUNCED = "bounced"


# Outcomes announced as events (notifications.notification_<status>).
FINAL = frozenset({Status.SENT, Status.FAILED, Status.SKIPPED, Status.DELIVERED, Status.BOUNCED})
# Channels whose provider reports each message it accepted: an unknown outcome waits for that report.
REPORTED = frozenset({Channel.EMAIL, Channel.SMS})
# How long after an unknown outcome a provider's report may still come (SES's Send event comes within
# seconds); with no report by then, the message was not taken and is sent again.
RECONCILE_WINDOW_SECONDS = 600.0


@dataclass(frozen=True)
class Delivery:
    """The ledger's record of one delivery."""

    delivery_id: str
    notification_id: str
    channel: Channel
    status: Status = Status.PENDING
    attempts: int = 0
    lease_until: float = 0.0
    next_attempt_at: float = 0.0
    attempt_started_at: float = 0.0
    unknown_since: float = 0.0  # an attempt's outcome is unknown since then (0: none)
    provider_accepted: bool = False  # the provider reported it took the message
    provider_message_id: str = ""
    reason: str = ""
    detail: str = ""
    announced: frozenset[str] = frozenset()  # outcomes already emitted as events


class Step(StrEnum):
    SEND = "send"  # claimed: send (a first attempt, or again after an outage or an unsettled unknown)
    SETTLE = "settle"  # claimed after an unknown outcome the provider has since confirmed: it is sent
    AWAIT_REPORT = "await_report"  # claimed after an unknown outcome still within the report window
    WAIT = "wait"  # not due yet (a retry, quiet hours, a rate limit): come back at next_attempt_at
    BUSY = "busy"  # another sender holds the lease
    DONE = "done"  # nothing left to do (an outcome is recorded)


def claimable(delivery: Delivery | None, now: float) -> bool:
    """What the ledger's conditional claim checks (the store writes the same condition)."""
    if delivery is None or delivery.status is Status.PENDING:
        return True
    if delivery.status is Status.WAITING:  # due, or its unknown outcome was since confirmed
        return delivery.next_attempt_at <= now or delivery.provider_accepted
    return delivery.status is Status.SENDING and delivery.lease_until < now


def step_after_claim(before: Delivery | None, now: float) -> Step:
    """What to do with a delivery just claimed, given its record before the claim."""
    if before is None:
        return Step.SEND
    unknown_since = before.unknown_since
    if before.status is Status.SENDING:  # its previous sender died mid-attempt
        unknown_since = before.attempt_started_at
    if not unknown_since or before.channel not in REPORTED:
        return Step.SEND
    if before.provider_accepted:
        return Step.SETTLE
    if now < unknown_since + RECONCILE_WINDOW_SECONDS:
        return Step.AWAIT_REPORT
    return Step.SEND


def step_when_not_claimed(current: Delivery, now: float) -> Step:
    """Why a claim failed: someone holds it, it is not due, or it is over."""
    if current.status in FINAL:
        return Step.DONE
    if current.status is Status.SENDING and current.lease_until >= now:
        return Step.BUSY
    return Step.WAIT


def unknown_outcome_since(before: Delivery | None) -> float:
    """When the outcome of this delivery became unknown (0: it is not)."""
    if before is None:
        return 0.0
    if before.status is Status.SENDING:
        return before.attempt_started_at
    return before.unknown_since


def retry_delay(schedule: tuple[int, ...], attempts: int, rng: random.Random | None = None) -> float | None:
    """The wait before the next attempt after `attempts` failed ones (None: the schedule is over).

    Exponential in the schedule itself (config/notifications.yaml), with jitter: each wait is drawn
    between half and all of its step, so endpoints that failed together are not retried together.
    """
    if attempts > len(schedule):
        return None
    step = schedule[attempts - 1]
    return step * (0.5 + 0.5 * (rng or random).random())
