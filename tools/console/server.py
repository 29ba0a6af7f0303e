"""Serving the console: an HTTP server on 127.0.0.1, as a component of `make up` or on its own.

As a component (`ConsoleServer`, added by `python -m tools up`), it starts with
the platform and publishes `console_url` in the state file; it takes from the
platform only what a deployment would configure (names, endpoints, the status
API's URL, the teams' API keys) and then reads through those APIs alone.
On its own (`python -m tools console`) it serves a running platform found
through `.local/platform.json`. The app is lambdas/console's (the same pages run
as a Lambda on AWS), with the local adapters of tools/console/local.py.
`python -m tools console --aws` opens an AWS environment's console instead,
through the tunnel of tools/console/tunnel.py.
"""

from __future__ import annotations

import argparse
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lambdas.console import charts, sources
from lambdas.console.app import SECURITY_HEADERS, ConsoleApp, Request
from lambdas.console.sources import Platform
from local_platform.http_serving import BackgroundServer, request_body, send
from local_platform.lake.layout import DEFAULT_WORKDIR
from platform_core.config import get_config
from platform_core.kafka import KafkaConnection
from platform_core.local_state import configure_local_aws_env, running_state
from platform_core.resources import Resources
from tools.console.local import LocalLake, StatusApi

if TYPE_CHECKING:
    from local_platform.runtime import LocalPlatform

log = logging.getLogger(__name__)


class ConsoleHttpServer:
    def __init__(self, app: ConsoleApp, host: str = "127.0.0.1", port: int = 0):
        self.app = app
        self._serving = BackgroundServer(ThreadingHTTPServer((host, port), _handler(app)), "console", 0.1)

    @property
    def url(self) -> str:
        return self._serving.url

    def start(self) -> ConsoleHttpServer:
        charts.warm_up()
        threading.Thread(target=self._warm_up_lake, name="console-warm-up", daemon=True).start()
        self._serving.start()
        return self

    def _warm_up_lake(self) -> None:
        try:
            sources.warm_up(self.app.platform)
        except Exception:  # the first page opens it then, and says what fails
            log.exception("opening the lake's query engine failed")

    def stop(self) -> None:
        self._serving.stop(timeout=5)

    def __enter__(self) -> ConsoleHttpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _handler(app: ConsoleApp) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            request = Request.parse(self.command, self.path, dict(self.headers.items()), request_body(self))
            try:
                status, headers, payload = app.handle(request)
            except Exception:  # a page that fails says so; the server keeps serving
                log.exception("console page %s failed", self.path)
                status, headers = 500, {"Content-Type": "text/plain; charset=utf-8"}
                payload = b"The console could not read this page's data; see the console's log."
            send(self, status, {**SECURITY_HEADERS, **headers}.items(), payload)

        do_GET = do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


class ConsoleServer:
    """The `console` component of `make up`."""

    name = "console"

    def __init__(self, lake_workdir: Path = DEFAULT_WORKDIR, port: int = 0):
        self._lake_workdir = lake_workdir
        self._port = port
        self._server: ConsoleHttpServer | None = None

    @property
    def url(self) -> str | None:
        return self._server.url if self._server else None

    def start(self, platform: LocalPlatform) -> ConsoleServer:
        kafka = platform.kafka_connection() if any(c.name == "kafka" for c in platform.components) else None
        app = ConsoleApp(
            Platform(
                platform.resources,
                lake=LocalLake(self._lake_workdir, platform.resources.curated_bucket),
                live=StatusApi(f"{platform.lambda_url}/_local/status"),
                kafka=kafka,
            ),
            gateway_url=platform.gateway_url,
            api_keys={team: key.value for team, key in platform.api_keys.items()},
        )
        self._server = ConsoleHttpServer(app, port=self._port).start()
        platform.publish("console_url", self._server.url)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def status(self) -> dict[str, Any]:
        return {"url": self.url}


def app_for_state(state: dict[str, Any], lake_workdir: Path = DEFAULT_WORKDIR) -> ConsoleApp:
    """The console of a running platform described by its state file."""
    configure_local_aws_env(state["aws_endpoint_url"], state["region"])
    config = get_config().model_copy(update={"project": state["project"]})
    kafka = KafkaConnection(state["kafka_bootstrap"]) if state.get("kafka_bootstrap") else None
    resources = Resources(config, state["env"])
    return ConsoleApp(
        Platform(
            resources,
            lake=LocalLake(lake_workdir, resources.curated_bucket),
            live=StatusApi(f"{state['lambda_url']}/_local/status"),
            kafka=kafka,
        ),
        gateway_url=state["gateway_url"],
        api_keys=state.get("api_keys", {}),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools console",
        description="Serve the console of a running platform (make up), or open an AWS environment's "
        "console (--aws) through a tunnel on this machine that adds the API key.",
    )
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--workdir", type=Path, default=DEFAULT_WORKDIR, help="the local lake's work directory"
    )
    parser.add_argument("--aws", action="store_true", help="the console Lambda of a deployed environment")
    parser.add_argument("--env", default="dev", help="--aws: the environment")
    parser.add_argument("--api-url", help="--aws: the REST API's stage URL (terraform output api_invoke_url)")
    parser.add_argument(
        "--team", default="orders", help="--aws: the team whose API key opens it (or set CONSOLE_API_KEY)"
    )
    args = parser.parse_args(argv)
    if args.aws:
        return _tunnel(args, parser)
    state = running_state()
    if state is None:
        print("No local platform is running; start one with `make up`.")
        return 1
    with ConsoleHttpServer(app_for_state(state, args.workdir), port=args.port) as server:
        print(f"console {server.url} (Ctrl-C to stop)")
        threading.Event().wait()
    return 0


def _tunnel(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    import os

    from tools.console.tunnel import ConsoleTunnel, api_key_of

    if not args.api_url:
        parser.error("--aws needs --api-url (terraform output api_invoke_url)")
    key = os.environ.get("CONSOLE_API_KEY") or api_key_of(get_config().project, args.env, args.team)
    with ConsoleTunnel(args.api_url, key, port=args.port) as tunnel:
        print(f"console {tunnel.url} (through {args.api_url}; Ctrl-C to stop)")
        threading.Event().wait()
    return 0
