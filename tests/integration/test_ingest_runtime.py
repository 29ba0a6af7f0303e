"""The local platform runtime: start order, components, the state file, clean stop."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from local_platform.runtime import LocalPlatform
from platform_core.local_state import read_state
from tests.fixtures.aws import isolated_config
from tools.status import health
from tools.traffic import TrafficGenerator

pytestmark = pytest.mark.integration


class RecordingComponent:
    def __init__(self, name: str, log: list[str]):
        self.name = name
        self._log = log

    def start(self, platform: LocalPlatform) -> None:
        # A component finds everything it needs on the running platform.
        assert platform.gateway_url.startswith("http://127.0.0.1:")
        assert json.loads(platform.function_environment("ingest")["API_KEY_TEAMS"])
        platform.publish(f"{self.name}_address", f"127.0.0.1:{len(self._log)}")
        self._log.append(f"start {self.name}")

    def stop(self) -> None:
        self._log.append(f"stop {self.name}")

    def status(self) -> dict[str, Any]:
        return {"healthy": True}


def test_platform_runs_components_in_order_and_publishes_its_state(
    aws_endpoint_url: str, tmp_path: Path
) -> None:
    log: list[str] = []
    state_path = tmp_path / "platform.json"
    components = [RecordingComponent("broker", log), RecordingComponent("pollers", log)]
    platform = LocalPlatform(isolated_config(), components=components, state_path=state_path)

    with platform:
        state = read_state(state_path)
        assert state is not None
        assert state["aws_endpoint_url"] == aws_endpoint_url
        assert state["gateway_url"] == platform.gateway_url
        assert state["broker_address"] == "127.0.0.1:0"
        assert state["components"] == {"broker": {"healthy": True}, "pollers": {"healthy": True}}
        assert state["lambda_environment"]["EVENTS_TABLE"] == platform.resources.events_table
        assert state_path.stat().st_mode & 0o077 == 0, "the state file holds API keys"

        team, event = TrafficGenerator(9).order_flow()[0]
        response = requests.post(
            f"{state['gateway_url']}/v1/events",
            json=event,
            headers={"x-api-key": state["api_keys"][team]},
            timeout=30,
        )
        assert response.status_code == 202

        # The state file's counters are live: `make status` sees the invocation without a restart.
        deadline = time.monotonic() + 30
        while (read_state(state_path) or {})["functions"]["ingest"].get("invocations") != 1:
            assert time.monotonic() < deadline, "the state file never showed the ingest invocation"
            time.sleep(0.2)
        ingest = (read_state(state_path) or {})["functions"]["ingest"]
        assert ingest["cold_starts"] == 1 and ingest["errors"] == 0

        picture = health(state)
        assert picture["process_alive"] and picture["gateway_up"]
        assert picture["events_table_items"] == 1
        assert picture["rejected_objects"] == 0
        assert all(
            depth == {"visible": 0, "in_flight": 0, "delayed": 0} for depth in picture["queues"].values()
        )

    assert log == ["start broker", "start pollers", "stop pollers", "stop broker"]
    assert not state_path.exists()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{state['gateway_url']}/v1/schemas", timeout=5)


def test_a_component_failing_to_start_stops_what_started(aws_endpoint_url: str, tmp_path: Path) -> None:
    log: list[str] = []

    class Broken(RecordingComponent):
        def start(self, platform: LocalPlatform) -> None:
            raise RuntimeError("port in use")

    platform = LocalPlatform(
        isolated_config(),
        components=[RecordingComponent("broker", log), Broken("pollers", log)],
        state_path=tmp_path / "platform.json",
    )
    with pytest.raises(RuntimeError, match="port in use"):
        platform.start()
    assert log == ["start broker", "stop broker"]
    assert not (tmp_path / "platform.json").exists()
