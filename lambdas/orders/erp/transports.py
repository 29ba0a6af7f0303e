"""The two ways to call Odoo's models over HTTP, behind one `call(model, method, ids, context, **params)`.

- `Json2Transport`: Odoo 19's external JSON-2 API, `POST /json/2/<model>/<method>`
  with a bearer API key; the body is a JSON object of named parameters (plus
  `ids` and `context`); success is a 200 with the method's result, an error a
  4xx/5xx with `{name, message, arguments, context, debug}`.
- `JsonRpcTransport`: the legacy JSON-RPC object service (`POST /jsonrpc`,
  `execute_kw`), deprecated since Odoo 19 and still what most servers speak; it
  logs in once (`common.login`, the API key as password) and maps named
  parameters to `execute_kw`'s args and kwargs; errors come back in a 200 as
  `error.data = {name, message, arguments, context, debug}`.

Both map errors the same way, by the Python exception Odoo names, then by HTTP
status: access (`ErpAccessDenied`), validation and business rules
(`ErpRefused`), a missing record (`ErpRecordMissing`), anything server-side,
a timeout or a refused connection (`ErpUnavailable`). Neither retries: the
caller decides what is safe to repeat (see lambdas/orders/resilience.py).
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import urllib3

from lambdas.orders.erp.port import ErpAccessDenied, ErpError, ErpRecordMissing, ErpRefused, ErpUnavailable

USER_AGENT = "stockoss-orders/1"
ACCESS = ("odoo.exceptions.AccessDenied", "odoo.exceptions.AccessError", "werkzeug.exceptions.Unauthorized")
MISSING = ("odoo.exceptions.MissingError",)
REFUSED = (
    "odoo.exceptions.UserError",
    "odoo.exceptions.ValidationError",
    "odoo.exceptions.RedirectWarning",
    "werkzeug.exceptions.UnprocessableEntity",
    "werkzeug.exceptions.BadRequest",
    "werkzeug.exceptions.NotFound",  # an unknown model or method: a request the server cannot serve
    "builtins.TypeError",
    "builtins.ValueError",
)


class OdooTransport(Protocol):
    def call(
        self,
        model: str,
        method: str,
        ids: Sequence[int] = (),
        context: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> Any: ...


def odoo_error(name: str, message: str, status: int | None) -> ErpError:
    """The port's error for an Odoo error name (the exception's qualified name) and HTTP status."""
    if name in ACCESS or status in (401, 403):
        return ErpAccessDenied(message, name, status)
    if name in MISSING:
        return ErpRecordMissing(message, name, status)
    if name in REFUSED or (status is not None and 400 <= status < 500 and status not in (408, 429)):
        return ErpRefused(message, name, status)
    return ErpUnavailable(message or "server error", name, status)


def _pool(http: urllib3.PoolManager | None) -> urllib3.PoolManager:
    return http or urllib3.PoolManager(maxsize=8, retries=False)


def _post(
    http: urllib3.PoolManager,
    url: str,
    body: dict[str, Any],
    headers: dict[str, str],
    timeout: urllib3.Timeout,
) -> urllib3.BaseHTTPResponse:
    try:
        return http.request(
            "POST", url, body=json.dumps(body).encode(), headers=headers, timeout=timeout, retries=False
        )
    except urllib3.exceptions.HTTPError as exc:  # timeouts, refused connections, protocol errors
        raise ErpUnavailable(f"{url}: {exc}", type(exc).__name__) from exc


def _json(response: urllib3.BaseHTTPResponse) -> Any:
    try:
        return json.loads(response.data)
    except ValueError as exc:
        # A proxy's HTML error page, a truncated body: not Odoo speaking.
        raise ErpUnavailable(
            f"HTTP {response.status}: not JSON: {response.data[:200]!r}", status=response.status
        ) from exc


class Json2Transport:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        database: str | None = None,
        timeout: urllib3.Timeout | None = None,
        http: urllib3.PoolManager | None = None,
    ):
        self._base = base_url.rstrip("/") + "/json/2"
        self._headers = {
            "Authorization": f"bearer {api_key}",
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
        }
        if database:
            self._headers["X-Odoo-Database"] = database
        self._timeout = timeout or urllib3.Timeout(connect=3.0, read=10.0)
        self._http = _pool(http)

    def call(
        self,
        model: str,
        method: str,
        ids: Sequence[int] = (),
        context: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> Any:
        body: dict[str, Any] = dict(params)
        if ids:
            body["ids"] = list(ids)
        if context:
            body["context"] = dict(context)
        response = _post(self._http, f"{self._base}/{model}/{method}", body, self._headers, self._timeout)
        if response.status == 200:
            return _json(response)
        if response.status >= 500 or response.status in (408, 429):
            try:
                detail = json.loads(response.data)
            except ValueError:
                detail = None
        else:
            detail = _json(response)
        if isinstance(detail, dict):
            raise odoo_error(str(detail.get("name", "")), str(detail.get("message", "")), response.status)
        raise odoo_error("", str(detail or f"HTTP {response.status}"), response.status)


class JsonRpcTransport:
    def __init__(
        self,
        base_url: str,
        database: str,
        login: str,
        api_key: str,
        *,
        timeout: urllib3.Timeout | None = None,
        http: urllib3.PoolManager | None = None,
    ):
        self._url = base_url.rstrip("/") + "/jsonrpc"
        self._database = database
        self._login = login
        self._password = api_key
        self._timeout = timeout or urllib3.Timeout(connect=3.0, read=10.0)
        self._http = _pool(http)
        self._uid: int | None = None
        self._lock = threading.Lock()
        self._ids = itertools.count(1)

    def _rpc(self, service: str, method: str, args: list[Any]) -> Any:
        body = {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"service": service, "method": method, "args": args},
            "id": next(self._ids),
        }
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
        response = _post(self._http, self._url, body, headers, self._timeout)
        if response.status != 200:
            raise odoo_error("", f"HTTP {response.status}", response.status)
        reply = _json(response)
        error = reply.get("error") if isinstance(reply, dict) else None
        if error:
            data = error.get("data") or {}
            raise odoo_error(
                str(data.get("name", "")), str(data.get("message") or error.get("message", "")), None
            )
        return reply.get("result")

    def uid(self) -> int:
        with self._lock:
            if self._uid is None:
                uid = self._rpc("common", "login", [self._database, self._login, self._password])
                if not uid:
                    raise ErpAccessDenied(f"login {self._login!r} refused by database {self._database!r}")
                self._uid = int(uid)
            return self._uid

    def call(
        self,
        model: str,
        method: str,
        ids: Sequence[int] = (),
        context: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> Any:
        # execute_kw takes the record ids as the first positional argument; `create` takes its
        # values positionally (older servers index args[0]); every other parameter goes by name.
        args: list[Any] = [list(ids)] if ids else []
        if method == "create":
            args = [params.pop("vals_list")]
        kwargs = dict(params)
        if context:
            kwargs["context"] = dict(context)
        return self._rpc(
            "object",
            "execute_kw",
            [self._database, self.uid(), self._password, model, method, args, kwargs],
        )
