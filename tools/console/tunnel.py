"""The way a browser reaches the console on AWS: a tunnel on the operator's machine.

The console is served by the `console` Lambda under /console of the platform's REST API, behind the API's
own security: the usage-plan key in `x-api-key`, which API Gateway checks before the function runs. A
browser cannot add that header, so this local HTTP server (127.0.0.1 only) forwards each request to the
API with the key added. The key is read with the operator's own AWS credentials (API Gateway's
GetApiKeys, or CONSOLE_API_KEY): whoever may read a team's key may open the console; nobody else reaches
it, and the key never reaches the browser.

    python -m tools console --aws --env dev --team orders \
        --api-url "$(terraform -chdir=terraform/environment output -raw api_invoke_url)"

A POST (the redrive form) is forwarded only when its Origin or Referer is this tunnel (a page elsewhere
cannot make the operator's browser redrive a queue), with the Origin the console then checks set to the
API's own.
"""

from __future__ import annotations

import logging
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import requests

from local_platform.http_serving import BackgroundServer, request_body, send

log = logging.getLogger(__name__)
FORWARDED_REQUEST_HEADERS = ("accept", "accept-language", "content-type")
# Hop-by-hop headers and those the server sets again.
DROPPED_RESPONSE_HEADERS = {
    "connection",
    "content-length",
    "transfer-encoding",
    "content-encoding",
    "keep-alive",
}


class ConsoleTunnel:
    def __init__(self, api_url: str, api_key: str, host: str = "127.0.0.1", port: int = 0):
        """api_url: the REST API's stage URL (https://<id>.execute-api.<region>.amazonaws.com/<stage>)."""
        api = urlsplit(api_url.rstrip("/"))
        self.api_origin = f"{api.scheme}://{api.netloc}"
        self.api_path = api.path
        self.api_key = api_key
        self._session = requests.Session()
        self._serving = BackgroundServer(
            ThreadingHTTPServer((host, port), _handler(self)), "console-tunnel", 0.1
        )

    @property
    def origin(self) -> str:
        return self._serving.url

    @property
    def url(self) -> str:
        """The console's first page, through the tunnel."""
        return f"{self.origin}{self.api_path}/console"

    def forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> requests.Response:
        outgoing = {k: v for k, v in headers.items() if k.lower() in FORWARDED_REQUEST_HEADERS}
        outgoing["x-api-key"] = self.api_key
        if method == "POST":
            outgoing["Origin"] = self.api_origin
        return self._session.request(
            method,
            f"{self.api_origin}{path}",
            headers=outgoing,
            data=body or None,
            allow_redirects=False,
            timeout=60,
        )

    def start(self) -> ConsoleTunnel:
        self._serving.start()
        return self

    def stop(self) -> None:
        self._serving.stop(timeout=5)
        self._session.close()

    def __enter__(self) -> ConsoleTunnel:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _same_origin(tunnel: ConsoleTunnel, headers: dict[str, str]) -> bool:
    origin = headers.get("origin") or headers.get("referer") or ""
    return bool(origin) and urlsplit(origin).netloc == urlsplit(tunnel.origin).netloc


def _handler(tunnel: ConsoleTunnel) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            body = request_body(self)
            headers = {k.lower(): v for k, v in self.headers.items()}
            if self.command == "POST" and not _same_origin(tunnel, headers):
                send(
                    self,
                    403,
                    [("Content-Type", "text/plain; charset=utf-8")],
                    b"Refused: not from the console.",
                )
                return
            try:
                response = tunnel.forward(self.command, self.path, headers, body)
            except requests.RequestException as exc:
                send(self, 502, [("Content-Type", "text/plain; charset=utf-8")], f"The API: {exc}".encode())
                return
            answer = {k: v for k, v in response.headers.items() if k.lower() not in DROPPED_RESPONSE_HEADERS}
            if "Location" in answer:  # the console's redirects name the API's host; the browser stays here
                answer["Location"] = answer["Location"].removeprefix(tunnel.api_origin)
            send(self, response.status_code, answer.items(), response.content)

        do_GET = do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def api_key_of(project: str, env: str, team: str) -> str:
    """A team's usage-plan key, read from API Gateway with the caller's AWS credentials."""
    from platform_core.aws import client

    name = f"{project}-{env}-{team}-api-key"  # modules/naming team_api_keys
    keys = client("apigateway").get_api_keys(nameQuery=name, includeValues=True)["items"]
    exact = [key for key in keys if key["name"] == name]
    if not exact:
        raise SystemExit(f"no API key named {name} (is the environment deployed, and the team right?)")
    return str(exact[0]["value"])
