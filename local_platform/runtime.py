"""The local platform: everything `make up` and `make demo` run, in one process, on 127.0.0.1.

    with LocalPlatform() as platform:      # AWS endpoint, resources, gateway, components
        requests.post(f"{platform.gateway_url}/v1/events", headers={"x-api-key": platform.api_keys["orders"]}, ...)

Start order: the AWS-compatible endpoint (a moto server, or AWS_ENDPOINT_URL
such as LocalStack), the resources provisioned from config/platform.yaml, the
local API Gateway in front of the real ingest handler, then the components in
list order. Stop order is the reverse. While it runs, `.local/platform.json`
describes it for `make status`, `make query` and `make load` (removed on stop).

Adding a part of the platform (a poller, the Kafka broker, the lake) is a
`Component`: an object with a `name`, `start(platform)`, `stop()` and
`status() -> dict`. `start` gets the running LocalPlatform: its `config`,
`env`, `resources`, `endpoint_url`, `gateway_url`, `api_keys` and
`lambda_environment(service)` (the environment variables Terraform gives a
Lambda). A component that others need to find publishes it with
`platform.publish(key, value)` (written to .local/platform.json at the top
level, e.g. `kafka_bootstrap`); `status()` is for health (queue depths,
lag, ...) and is written under `components.<name>` in the state file and
shown by `make status`. To run a component by default, add its factory
("module:callable", imported lazily) to DEFAULT_COMPONENTS.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import threading
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any, Protocol, runtime_checkable

from local_platform.aws_endpoint import aws_endpoint
from local_platform.gateway import ApiKey, LambdaHandler, LocalApiGateway, api_key_teams, generate_api_keys
from local_platform.provision import provision
from platform_core.config import PlatformConfig, get_config
from platform_core.local_state import STATE_PATH
from platform_core.resources import Resources

# "module:callable" returning a Component, started in this order (stopped in reverse).
DEFAULT_COMPONENTS: tuple[str, ...] = (
    "local_platform.kafka_broker:kafka_component",  # Tansu, or KAFKA_BOOTSTRAP_SERVERS; creates the topics
    "local_platform.pollers.wiring:fanout_pollers",  # stream -> fan-out, outbox -> bridge, orders queue
)


@runtime_checkable
class Component(Protocol):
    name: str

    def start(self, platform: LocalPlatform) -> None: ...

    def stop(self) -> None: ...

    def status(self) -> dict[str, Any]: ...


def default_components() -> list[Component]:
    components = []
    for spec in DEFAULT_COMPONENTS:
        module, _, factory = spec.partition(":")
        component = getattr(importlib.import_module(module), factory)()
        if not isinstance(component, Component):
            raise TypeError(f"{spec} did not return a Component")
        components.append(component)
    return components


class LocalPlatform:
    def __init__(
        self,
        config: PlatformConfig | None = None,
        env: str = "dev",
        *,
        components: Sequence[Component] | None = None,
        state_path: Path | None = STATE_PATH,
        port: int = 0,
    ):
        self.config = config or get_config()
        self.env = env
        self.resources = Resources(self.config, env)
        self.components = default_components() if components is None else list(components)
        self.state_path = state_path
        self._port = port
        self._stack = ExitStack()
        self._published: dict[str, Any] = {}
        self._started_at: datetime | None = None
        self.endpoint_url = ""
        self.api_keys: dict[str, ApiKey] = {}
        self.gateway: LocalApiGateway | None = None

    # -- what components use ---------------------------------------------------

    @property
    def gateway_url(self) -> str:
        if self.gateway is None:
            raise RuntimeError("the platform is not started")
        return self.gateway.url

    def lambda_environment(self, service: str) -> dict[str, str]:
        """The environment variables of a Lambda (Terraform sets the same names)."""
        return {
            **self.resources.lambda_environment(),
            "API_KEY_TEAMS": json.dumps(api_key_teams(self.api_keys)),
            "POWERTOOLS_SERVICE_NAME": service,
        }

    def publish(self, key: str, value: Any) -> None:
        """Make a value findable by other processes (top level of .local/platform.json)."""
        self._published[key] = value
        if self._started_at is not None:
            self._write_state()

    def ingest_handler(self) -> LambdaHandler:
        """The ingest function hosted in this process, over this platform's resources and API keys."""
        from lambdas.ingest import handler as ingest
        from lambdas.ingest.service import IngestService
        from lambdas.ingest.settings import IngestSettings
        from platform_core.dependencies import hosted

        settings = IngestSettings(
            platform_env=self.env,
            events_table=self.resources.events_table,
            rejected_bucket=self.resources.rejected_bucket,
            api_key_teams=api_key_teams(self.api_keys),
        )
        service = IngestService.from_settings(settings, config=self.config)
        return hosted(ingest.lambda_handler, {ingest.ingest_service: service})

    # -- lifecycle -----------------------------------------------------------

    def start(self) -> LocalPlatform:
        try:
            self.endpoint_url = self._stack.enter_context(aws_endpoint(self.config.region))
            provision(self.resources)
            self.api_keys = generate_api_keys(tuple(self.config.teams))
            self.gateway = LocalApiGateway(
                self.ingest_handler(),
                self.api_keys,
                {name: team.api for name, team in self.config.teams.items()},
                region=self.config.region,
                stage=self.env,
                port=self._port,
            )
            self._stack.enter_context(self.gateway)
            for component in self.components:
                component.start(self)
                self._stack.callback(component.stop)
            self._started_at = datetime.now(UTC)
            self._write_state()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.state_path is not None and self._started_at is not None:
            self.state_path.unlink(missing_ok=True)
        self._started_at = None
        self._stack.close()

    def __enter__(self) -> LocalPlatform:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def status(self) -> dict[str, Any]:
        return {
            "gateway": {"url": self.gateway_url, "responses": self.gateway.stats() if self.gateway else {}},
            "components": {c.name: c.status() for c in self.components},
        }

    def state(self) -> dict[str, Any]:
        return {
            "pid": os.getpid(),
            "started_at": self._started_at.isoformat() if self._started_at else None,
            "project": self.config.project,
            "env": self.env,
            "region": self.config.region,
            "aws_endpoint_url": self.endpoint_url,
            "gateway_url": self.gateway_url,
            "api_keys": {team: key.value for team, key in self.api_keys.items()},
            "lambda_environment": self.resources.lambda_environment(),
            "components": {c.name: c.status() for c in self.components},
            **self._published,
        }

    def _write_state(self) -> None:
        if self.state_path is None:
            return
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.state_path.with_suffix(".tmp")
        # The file holds API keys: readable by the user only.
        temporary.touch(mode=0o600)
        temporary.write_text(json.dumps(self.state(), indent=2) + "\n", encoding="utf-8")
        temporary.replace(self.state_path)


@contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """An Event set by SIGTERM or SIGINT (Ctrl-C), so `make up` shuts down cleanly either way."""
    stopped = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopped.set()

    previous = {signum: signal.signal(signum, on_signal) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stopped
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
