"""The triggers of the local platform: every event source mapping, derived from config/platform.yaml.

    stream of the events table   --StreamPoller--> fan-out
    Kafka outbox queue           --SqsPoller----> kafka-bridge --> Kafka
    a team's queue               --SqsPoller----> the service with `trigger: {type: queue}`
    a service's S3 inbox queue   --SqsPoller----> the service with `trigger: {type: s3}`
    Kafka topics                 --KafkaPoller--> a service with `trigger: {type: kafka}`
    a schedule                   --Scheduler----> a service with `trigger: {type: schedule}`

(`api` and `authorizer` services are reached through the local API Gateway.)
Each poller invokes its function's execution environments; no file but the
configuration names a consumer. A team queue that feeds no declared service
keeps its messages, as it would for a team that has not deployed one yet.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from local_platform.pollers.kafka import KafkaMapping, KafkaPoller
from local_platform.pollers.schedule import Scheduler
from local_platform.pollers.sqs import SqsMapping, SqsPoller
from local_platform.pollers.stream import StreamMapping, StreamPoller
from local_platform.provision import queue_url, stream_arn
from platform_core.config import BucketTrigger, KafkaTrigger, QueueTrigger, ScheduleTrigger, Service
from platform_core.resources import FANOUT, KAFKA_BRIDGE

if TYPE_CHECKING:
    from local_platform.runtime import LocalPlatform

Poller = StreamPoller | SqsPoller | KafkaPoller | Scheduler


class Triggers:
    """A platform component: one poller per event source mapping (and schedule) of the environment."""

    name = "triggers"

    def __init__(self) -> None:
        self._pollers: dict[str, Poller] = {}
        self._config_services: dict[str, Service] = {}
        self._started = False

    def start(self, platform: LocalPlatform) -> None:
        self._config_services = dict(platform.config.services)
        self._pollers = build_pollers(platform)
        for poller in self._pollers.values():
            poller.start()
        self._started = True

    def stop(self) -> None:
        if self._started:
            for poller in reversed(list(self._pollers.values())):
                poller.stop()
            self._started = False

    def status(self) -> dict[str, Any]:
        return {function: poller.status() for function, poller in self._pollers.items()}

    @property
    def pollers(self) -> dict[str, Poller]:
        """Function short name -> the poller that feeds it."""
        return dict(self._pollers)

    def poller(self, function: str) -> Poller:
        try:
            return self._pollers[function]
        except KeyError:
            raise KeyError(f"no trigger feeds {function!r} (triggers: {', '.join(self._pollers)})") from None

    def queue_consumer(self, team: str) -> str | None:
        """The service the team's queue feeds (its `queue` trigger), if the team declared one."""
        for name, service in self._config_services.items():
            if service.team == team and isinstance(service.trigger, QueueTrigger) and name in self._pollers:
                return name
        return None

    @property
    def stream(self) -> StreamPoller:
        poller = self.poller(FANOUT)
        assert isinstance(poller, StreamPoller)
        return poller

    @property
    def outbox(self) -> SqsPoller:
        poller = self.poller(KAFKA_BRIDGE)
        assert isinstance(poller, SqsPoller)
        return poller

    def run_until_idle(self, timeout: float = 300.0) -> None:
        """Deliver everything now: the stream, then the outbox and every service's queue (not schedules)."""
        deadline = time.monotonic() + timeout
        self.stream.run_until_idle(timeout=timeout)
        for function, poller in self._pollers.items():
            if function != FANOUT and isinstance(poller, SqsPoller | KafkaPoller):
                poller.run_until_idle(timeout=max(1.0, deadline - time.monotonic()))


def build_pollers(platform: LocalPlatform) -> dict[str, Poller]:
    resources = platform.resources
    config = resources.config
    region = config.region
    pollers: dict[str, Poller] = {
        FANOUT: StreamPoller(
            stream_arn(resources),
            platform.function(FANOUT),
            StreamMapping.from_config(config),
            queue_url(resources.fanout_failure_queue),
            region=region,
        ),
        KAFKA_BRIDGE: SqsPoller(
            resources.outbox_queue,
            platform.function(KAFKA_BRIDGE),
            SqsMapping.from_config(config),
            region=region,
        ),
    }
    for name, service in config.services.items():
        trigger = service.trigger
        mapping = SqsMapping.from_batch(service.batch, service.concurrency)
        if isinstance(trigger, QueueTrigger):
            queue = resources.team_queue(service.team)
            pollers[name] = SqsPoller(queue, platform.function(name), mapping, region=region)
        elif isinstance(trigger, BucketTrigger):
            queue = resources.service_queue(name)
            pollers[name] = SqsPoller(queue, platform.function(name), mapping, region=region)
        elif isinstance(trigger, KafkaTrigger):
            pollers[name] = KafkaPoller(
                platform.function(name),
                KafkaMapping.for_service(resources, name, trigger),
                platform.kafka_connection(),
            )
        elif isinstance(trigger, ScheduleTrigger):
            pollers[name] = Scheduler(platform.function(name), trigger.expression, region=region)
    return pollers
