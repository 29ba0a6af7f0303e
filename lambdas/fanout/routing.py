"""Where each event goes, computed once from config/platform.yaml's subscriptions."""

from __future__ import annotations

from dataclasses import dataclass

from platform_core.config import PlatformConfig


@dataclass(frozen=True, slots=True)
class Route:
    """The destinations of one event type (besides the raw zone, which gets every event)."""

    sqs_teams: tuple[str, ...]
    kafka: bool


NO_ROUTE = Route(sqs_teams=(), kafka=False)


class Router:
    """Event type -> Route. An event type nobody subscribes to still reaches the raw zone."""

    def __init__(self, config: PlatformConfig):
        kafka_types = set(config.kafka_event_types)
        self._routes = {
            event_type: Route(sqs_teams=config.sqs_subscribers(event_type), kafka=event_type in kafka_types)
            for event_type in config.event_types
        }

    def route(self, event_type: str) -> Route:
        return self._routes.get(event_type, NO_ROUTE)

    @property
    def sqs_teams(self) -> tuple[str, ...]:
        return tuple(sorted({team for route in self._routes.values() for team in route.sqs_teams}))
