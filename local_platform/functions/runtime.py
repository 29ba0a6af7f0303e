"""Every function of one local environment: the platform's own and each declared service.

A function's spec comes from the same place Terraform takes it: a declared
service's handler, timeout, memory and concurrency from its entry in
config/platform.yaml; the platform functions' from `PLATFORM_DEPLOYMENTS`
below (the values of modules/ingestion_api and modules/event_fanout); the
environment from `Resources.function_environment()` plus what only exists
once deployed (the caller's `environment` callable). Execution environments
start on the first invocation.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from local_platform.functions.pool import ExecutionEnvironments
from local_platform.functions.spec import Function, FunctionSpec
from platform_core.config import PlatformConfig
from platform_core.resources import FANOUT, INGEST, KAFKA_BRIDGE, PLATFORM_HANDLERS, Resources


@dataclass(frozen=True)
class Deployment:
    """How a platform function is deployed (Terraform's values for it)."""

    handler: str
    timeout_seconds: float
    memory_mb: int
    concurrency: int  # reserved concurrency when reserve_lambda_concurrency is on


PLATFORM_DEPLOYMENTS: dict[str, Deployment] = {
    # modules/ingestion_api: API Gateway's 29 s integration limit, reserved 50.
    INGEST: Deployment(PLATFORM_HANDLERS[INGEST], 29, 512, 50),
    # modules/event_fanout: fan-out 60 s / 512 MB / 20, bridge 30 s / 512 MB / 10.
    FANOUT: Deployment(PLATFORM_HANDLERS[FANOUT], 60, 512, 20),
    KAFKA_BRIDGE: Deployment(PLATFORM_HANDLERS[KAFKA_BRIDGE], 30, 512, 10),
}


def write_config(config: PlatformConfig, path: Path) -> Path:
    """The configuration as a file a function reads (PLATFORM_CONFIG_PATH), e.g. a test's isolated copy."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False), encoding="utf-8")
    return path


class FunctionRuntime:
    def __init__(
        self,
        resources: Resources,
        environment: Callable[[str], Mapping[str, str]],
        *,
        log_dir: Path,
        code_paths: Sequence[str] = (),
        faults: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
        overrides: Mapping[str, Function] | None = None,
    ):
        self.resources = resources
        self.log_dir = log_dir
        self._environment = environment
        self._code_paths = tuple(code_paths)
        self._faults = {name: tuple(f) for name, f in (faults or {}).items()}
        self._functions: dict[str, Function] = dict(overrides or {})
        self._lock = threading.Lock()

    def deployment(self, function: str) -> Deployment:
        if function in PLATFORM_DEPLOYMENTS:
            return PLATFORM_DEPLOYMENTS[function]
        service = self.resources.service(function)
        return Deployment(service.handler, service.timeout_seconds, service.memory_mb, service.concurrency)

    def spec(self, function: str) -> FunctionSpec:
        deployment = self.deployment(function)
        name = self.resources.function_name(function)
        return FunctionSpec(
            name=name,
            handler=deployment.handler,
            environment=dict(self._environment(function)),
            timeout_seconds=deployment.timeout_seconds,
            memory_mb=deployment.memory_mb,
            concurrency=deployment.concurrency,
            region=self.resources.config.region,
            code_paths=self._code_paths,
            log_path=self.log_path(function),
            faults=self._faults.get(function, ()),
        )

    def log_path(self, function: str) -> Path:
        """The function's log group: one file its execution environments append to."""
        return self.log_dir / f"{self.resources.function_name(function)}.log"

    def function(self, function: str) -> Function:
        """The function by its short name (a platform function or a declared service)."""
        with self._lock:
            if function not in self._functions:
                self._functions[function] = ExecutionEnvironments(self.spec(function))
            return self._functions[function]

    def extend_environment(self, function: str, values: Mapping[str, str]) -> None:
        """Add values to a function's environment before its first execution environment starts."""
        target = self.function(function)
        if not isinstance(target, ExecutionEnvironments):
            raise TypeError(f"{function} does not run in execution environments here")
        target.extend_environment(values)

    def find(self, name_or_arn: str) -> Function | None:
        """A function by its Lambda name, ARN or partial ARN (what the Invoke API accepts)."""
        name = name_or_arn.rsplit(":function:", 1)[-1].split(":", 1)[0]
        for function in self.resources.functions:
            if self.resources.function_name(function) == name:
                return self.function(function)
        return None

    def status(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            started = dict(self._functions)
        statuses = {}
        for function in self.resources.functions:
            if function in started:
                statuses[function] = started[function].status()
            else:
                statuses[function] = {"function": self.resources.function_name(function), "invocations": 0}
        return statuses

    def close(self) -> None:
        with self._lock:
            functions, self._functions = list(self._functions.values()), {}
        for function in functions:
            function.close()
