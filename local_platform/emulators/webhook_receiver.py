"""A partner's webhook endpoint, locally: verifies Standard Webhooks signatures and keeps one copy per id.

Each partner gets a path (`/hooks/<partner>`) and the secrets it verifies with (during a
rotation a partner may know only the old or only the new one). A request whose signature
matches none of them, or whose timestamp is more than five minutes off, is refused with 401
and kept apart (`rejected`); a verified one is answered 204 and kept, and a second delivery
of the same `webhook-id` is answered 204 again but not kept twice, as the specification asks
receivers to do. `answer_next[partner]` makes the endpoint answer statuses on demand (500s,
a 410 Gone), `gone` makes it answer 410 for good.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from local_platform.emulators.http_server import EmulatorServer, Request, Response


class WebhookReceiver(EmulatorServer):
    name = "webhook-receiver"

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        super().__init__(host, port)
        self._lock = threading.Lock()
        self._secrets: dict[str, list[str]] = {}
        self._messages: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        self.deliveries: dict[str, int] = defaultdict(int)  # verified requests per partner, copies included
        self.rejected: list[dict[str, Any]] = []
        self.answer_next: dict[str, list[int]] = defaultdict(list)
        self.gone: set[str] = set()

    def endpoint(self, partner: str, secrets: list[str]) -> str:
        """The partner's URL; it verifies with these secrets."""
        with self._lock:
            self._secrets[partner] = list(secrets)
        return f"{self.url}/hooks/{partner}"

    def verifies_with(self, partner: str, secrets: list[str]) -> None:
        with self._lock:
            self._secrets[partner] = list(secrets)

    def messages(self, partner: str) -> list[dict[str, Any]]:
        """The verified messages, one per webhook-id."""
        with self._lock:
            return list(self._messages[partner].values())

    def respond(self, request: Request) -> Response:
        partner = request.path.removeprefix("/hooks/")
        with self._lock:
            secrets = list(self._secrets.get(partner, []))
            forced = self.answer_next[partner].pop(0) if self.answer_next[partner] else None
        if request.method != "POST" or not secrets:
            return Response.json(404, {"error": "no such endpoint"})
        if partner in self.gone:
            return Response.json(410, {"error": "this endpoint is gone"})
        if forced is not None:
            return Response.json(forced, {"error": f"answered {forced} on demand"})
        payload = self._verified(request, secrets)
        if payload is None:
            with self._lock:
                self.rejected.append({"partner": partner, "headers": dict(request.headers)})
            return Response.json(401, {"error": "signature or timestamp refused"})
        message_id = request.headers["webhook-id"]
        with self._lock:
            self.deliveries[partner] += 1
            self._messages[partner].setdefault(
                message_id,
                {"id": message_id, "payload": payload, "timestamp": request.headers["webhook-timestamp"]},
            )
        return Response(204)

    @staticmethod
    def _verified(request: Request, secrets: list[str]) -> Any:
        for secret in secrets:
            try:
                return Webhook(secret).verify(request.body, request.headers)
            except (WebhookVerificationError, json.JSONDecodeError):
                continue
        return None
