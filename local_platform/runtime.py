"""The local platform: everything `make up` and `make demo` run, on 127.0.0.1.

    with LocalPlatform() as platform:      # AWS endpoint, resources, functions, gateway, components
        requests.post(f"{platform.gateway_url}/v1/events", headers={"x-api-key": platform.api_keys["orders"].value}, ...)

Start order: the AWS-compatible endpoint (a moto server, or AWS_ENDPOINT_URL
such as LocalStack), the resources provisioned from config/platform.yaml (the
platform's and each declared service's), the functions (execution
environments started on demand, local_platform/functions/), the local API
Gateway with the routes of api/openapi.yaml, the Lambda Invoke API, then the
components in list order (the Kafka broker, the triggers). Stop order is the
reverse. While it runs, `.local/platform.json` describes it for `make status`,
`make query` and `make load`, refreshed every second with live counters
(removed on stop); the functions' logs are under `logs_dir`.

A part of the platform is a `Component`: an object with a `name`,
`start(platform)`, `stop()` and `status() -> dict`. `start` gets the running
LocalPlatform: its `config`, `env`, `resources`, `endpoint_url`,
`gateway_url`, `api_keys`, `function(name)` (a function's execution
environments) and `function_environment(name)`. A component that others need
to find publishes it with `platform.publish(key, value)` (top level of the
state file, e.g. `kafka_bootstrap`); `status()` is for health and is written
under `components.<name>`. The default components are `default_components()`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any, Protocol, runtime_checkable

from local_platform.aws_endpoint import aws_endpoint
from local_platform.cloudwatch import CloudWatchShipper
from local_platform.emulators.external_systems import ExternalSystems
from local_platform.emulators.mail_sink import MailSink
from local_platform.emulators.notification_channels import NotificationChannels
from local_platform.functions.invoke_api import LambdaApi
from local_platform.functions.runtime import FunctionRuntime, write_config
from local_platform.functions.spec import Function
from local_platform.gateway import ApiKey, LocalApiGateway, api_key_teams, generate_api_keys
from local_platform.kafka_broker import KafkaBroker
from local_platform.pollers.wiring import Triggers
from local_platform.provision import provision, provision_api_key_secrets, put_secret
from platform_core.config import (
    CONFIG_PATH_ENV,
    ApiLimits,
    ApiTrigger,
    KafkaTrigger,
    PlatformConfig,
    get_config,
)
from platform_core.kafka import KafkaConnection
from platform_core.local_state import STATE_PATH
from platform_core.resources import INGEST, KAFKA_BRIDGE, Resources

# How often the state file's live counters (`make status`) are refreshed.
STATE_REFRESH_SECONDS = 1.0
# The secret an authorizer service declares to learn its API clients' usage-plan keys ({client: key}):
# the local platform sets its value, as the deployment does once the keys exist.
API_CLIENTS_SECRET = "api-clients"
# API clients' usage plans declare a rate and a burst, no daily quota.
NO_DAILY_QUOTA = 10**12


@runtime_checkable
class Component(Protocol):
    name: str

    def start(self, platform: LocalPlatform) -> Any: ...

    def stop(self) -> None: ...

    def status(self) -> dict[str, Any]: ...


def default_components() -> list[Component]:
    """Started in this order, stopped in reverse: the broker (the triggers need its topics), the mail
    sink, the notification channels (SMS, push, webhooks) and the external systems (services'
    secrets and URLs get their values before any message reaches them), CloudWatch's feed (stopped
    after the triggers, so it ships the last invocations' logs), the triggers."""
    return [
        KafkaBroker(),
        MailSink(),
        NotificationChannels(),
        ExternalSystems(),
        CloudWatchShipper(),
        Triggers(),
    ]


class LocalPlatform:
    def __init__(
        self,
        config: PlatformConfig | None = None,
        env: str = "dev",
        *,
        components: Sequence[Component] | None = None,
        state_path: Path | None = STATE_PATH,
        port: int = 0,
        code_paths: Sequence[str] = (),
        faults: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    ):
        """code_paths: where code outside the repository lives (a service's package, on each function's
        sys.path); faults: fault injections per function short name (the fault suite only)."""
        self.config = config or get_config()
        self.env = env
        self.resources = Resources(self.config, env)
        self.components = default_components() if components is None else list(components)
        self.state_path = state_path
        self._port = port
        self._code_paths = tuple(code_paths)
        self._faults = dict(faults or {})
        self._stack = ExitStack()
        self._published: dict[str, Any] = {}
        self._started_at: datetime | None = None
        self._refresher: threading.Thread | None = None
        self._stopping = threading.Event()
        self.endpoint_url = ""
        self.api_keys: dict[str, ApiKey] = {}
        self.client_keys: dict[str, ApiKey] = {}  # the API clients of the services' identity blocks
        self._extra_environment: dict[str, dict[str, str]] = {}
        self.gateway: LocalApiGateway | None = None
        self.functions: FunctionRuntime | None = None
        self.lambda_api: LambdaApi | None = None
        self.logs_dir: Path | None = None
        self.config_path: Path | None = None

    # -- what components use ---------------------------------------------------

    @property
    def gateway_url(self) -> str:
        if self.gateway is None:
            raise RuntimeError("the platform is not started")
        return self.gateway.url

    @property
    def lambda_url(self) -> str:
        """The Lambda API endpoint (AWS_ENDPOINT_URL_LAMBDA for a boto3 `lambda` client)."""
        if self.lambda_api is None:
            raise RuntimeError("the platform is not started")
        return self.lambda_api.url

    def function(self, name: str) -> Function:
        """A function's execution environments, by short name (`ingest`, `fanout`, a declared service)."""
        if self.functions is None:
            raise RuntimeError("the platform is not started")
        return self.functions.function(name)

    def component(self, name: str) -> Component:
        for component in self.components:
            if component.name == name:
                return component
        raise KeyError(f"no component {name!r} (components: {', '.join(c.name for c in self.components)})")

    def kafka_connection(self) -> KafkaConnection:
        """The Kafka cluster's client settings (the broker component starts before the triggers)."""
        broker = self.component("kafka")
        if not isinstance(broker, KafkaBroker):
            raise TypeError("the kafka component is not a KafkaBroker")
        return broker.settings()

    def function_environment(self, function: str) -> dict[str, str]:
        """A function's environment: exactly Terraform's, plus what only this deployment knows.

        That is API_KEY_TEAMS (the key ids) of the ingest and of services behind API routes, the Kafka cluster of the bridge and of
        Kafka-triggered services, and PLATFORM_CONFIG_PATH: a Lambda zip carries
        config/platform.yaml, a local platform may run another configuration (a test's copy).
        """
        api_url = self.gateway_url if self.gateway is not None else None
        environment = self.resources.function_environment(function, api_url=api_url)
        if self.config_path is not None:
            environment[CONFIG_PATH_ENV] = str(self.config_path)
        if function == INGEST or (
            function in self.config.services
            and isinstance(self.config.services[function].trigger, ApiTrigger)
        ):
            # Behind API-key routes the caller's team is the key's owner: functions get {key id: team}.
            environment["API_KEY_TEAMS"] = json.dumps(api_key_teams(self.api_keys))
        if function == KAFKA_BRIDGE or (
            function in self.config.services
            and isinstance(self.config.services[function].trigger, KafkaTrigger)
        ):
            broker = self.component("kafka")
            if isinstance(broker, KafkaBroker):
                environment.update(broker.environment())
        environment.update(self._extra_environment.get(function, {}))
        return environment

    def extend_function_environment(self, function: str, values: Mapping[str, str]) -> None:
        """Values only a deployment knows, from a component (e.g. the local OIDC issuer's URL for the
        authorizer, as Terraform passes the user pool's). Before the function's first invocation."""
        self._extra_environment.setdefault(function, {}).update(values)
        if self.functions is not None:
            self.functions.extend_environment(function, values)

    def publish(self, key: str, value: Any) -> None:
        """Make a value findable by other processes (top level of .local/platform.json)."""
        self._published[key] = value
        if self._started_at is not None:
            self._write_state()

    # -- lifecycle -----------------------------------------------------------

    def start(self) -> LocalPlatform:
        try:
            self.endpoint_url = self._stack.enter_context(aws_endpoint(self.config.region))
            work_dir = self._work_dir()
            self.config_path = write_config(self.config, work_dir / "platform.yaml")
            self.logs_dir = work_dir / "logs"
            provision(self.resources)
            self.api_keys = generate_api_keys(tuple(self.config.teams))
            provision_api_key_secrets(
                self.resources, {team: key.value for team, key in self.api_keys.items()}
            )
            self.client_keys = self._api_clients()
            self.functions = FunctionRuntime(
                self.resources,
                self.function_environment,
                log_dir=self.logs_dir,
                code_paths=self._code_paths,
                faults=self._faults,
            )
            self._stack.callback(self.functions.close)
            self._check_routes()
            self.gateway = LocalApiGateway(
                self.function,
                {**self.api_keys, **self.client_keys},
                self._usage_plans(),
                region=self.config.region,
                stage=self.env,
                port=self._port,
            )
            self._stack.enter_context(self.gateway)
            self.lambda_api = LambdaApi(self.functions, status=self.status)
            self._stack.enter_context(self.lambda_api)
            for component in self.components:
                component.start(self)
                self._stack.callback(component.stop)
            self._started_at = datetime.now(UTC)
            self._write_state()
            self._start_refresher()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._refresher is not None:
            self._refresher.join(timeout=10)
            self._refresher = None
        if self.state_path is not None and self._started_at is not None:
            self.state_path.unlink(missing_ok=True)
        self._started_at = None
        self._stack.close()

    def __enter__(self) -> LocalPlatform:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _api_clients(self) -> dict[str, ApiKey]:
        """A usage-plan key per API client of each authorizer's identity, given to the authorizer."""
        keys: dict[str, ApiKey] = {}
        for name, service in self.config.services.items():
            if service.identity is None:
                continue
            clashing = set(service.identity.clients) & (set(self.config.teams) | set(keys))
            if clashing:
                raise ValueError(
                    f"API clients {sorted(clashing)} clash with teams or other clients' usage plans"
                )
            ours = generate_api_keys(tuple(service.identity.clients))
            keys.update(ours)
            secret = self.resources.service_secrets(name).get(API_CLIENTS_SECRET)
            if secret is not None:
                put_secret(secret, json.dumps({client: key.value for client, key in ours.items()}))
        return keys

    def _usage_plans(self) -> dict[str, ApiLimits]:
        plans = {name: team.api for name, team in self.config.teams.items()}
        for service in self.config.services.values():
            for client, declared in (service.identity.clients if service.identity else {}).items():
                plans[client] = ApiLimits(
                    rate_limit=declared.limits.rate_per_second,
                    burst_limit=declared.limits.burst,
                    quota_per_day=NO_DAILY_QUOTA,
                )
        return plans

    def _check_routes(self) -> None:
        """Every function api/openapi.yaml names is the ingest or a declared service (else API Gateway
        would have no integration for the route): refused at start, not at the first request."""
        from local_platform.routes import load_api

        api = load_api()
        named = {r.function for r in api.routes} | {a.function for a in api.authorizers.values()}
        missing = sorted(named - set(self.resources.functions))
        if missing:
            raise ValueError(
                f"api/openapi.yaml routes to functions the configuration does not declare: {missing}"
            )

    def _work_dir(self) -> Path:
        """Where the configuration copy and the logs go: beside the state file, else a temporary folder."""
        if self.state_path is not None:
            work_dir = self.state_path.parent
            work_dir.mkdir(parents=True, exist_ok=True)
            return work_dir
        work_dir = Path(tempfile.mkdtemp(prefix="stockoss-local-"))
        self._stack.callback(shutil.rmtree, work_dir, ignore_errors=True)
        return work_dir

    # -- status ----------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        return {
            "gateway": {"url": self.gateway_url, "responses": self.gateway.stats() if self.gateway else {}},
            "functions": self.functions.status() if self.functions else {},
            "components": {c.name: c.status() for c in self.components},
        }

    def state(self) -> dict[str, Any]:
        return {
            "pid": os.getpid(),
            "started_at": self._started_at.isoformat() if self._started_at else None,
            "updated_at": datetime.now(UTC).isoformat(),
            "project": self.config.project,
            "env": self.env,
            "region": self.config.region,
            "aws_endpoint_url": self.endpoint_url,
            "gateway_url": self.gateway_url,
            "lambda_url": self.lambda_url,
            "logs_dir": str(self.logs_dir),
            "api_keys": {team: key.value for team, key in self.api_keys.items()},
            "lambda_environment": self.resources.lambda_environment(),
            **self.status(),
            **self._published,
        }

    def _start_refresher(self) -> None:
        if self.state_path is None:
            return
        self._stopping.clear()

        def refresh() -> None:
            while not self._stopping.wait(STATE_REFRESH_SECONDS):
                try:
                    self._write_state()
                except Exception:  # a status read failing now must not stop the platform
                    continue

        self._refresher = threading.Thread(target=refresh, name="platform-state", daemon=True)
        self._refresher.start()

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
