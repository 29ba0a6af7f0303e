"""Partners' webhook endpoints and their signing secrets (the notification-sender's `webhooks` secret).

    python -m scripts.webhook_secrets set --env dev --partner partner-demo --url https://hooks.partner.example/in
    python -m scripts.webhook_secrets rotate --env dev --partner partner-demo
    python -m scripts.webhook_secrets show --env dev
    python -m scripts.webhook_secrets enable --env dev --partner partner-demo
    python -m scripts.webhook_secrets vapid --env dev --subject mailto:ops@stockoss.example.com

`set` registers (or moves) a partner's endpoint and gives it a first secret; `rotate` makes a
new one: both sign every message for `rotation_overlap_hours` (config/notifications.yaml), so
the partner switches whenever it likes within that time; the old one then stops signing. Both
print the new `whsec_` secret once, to hand to the partner. `show` never prints secrets.
`enable` re-opens an endpoint the service disabled after a 410 (once the partner fixed it).
`vapid` puts a new Web Push key pair in the `push` secret and prints the public key (the PWA's
applicationServerKey); existing browser subscriptions were made for the old key and must be renewed.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from lambdas.notifications.catalog import get_catalog
from lambdas.notifications.secrets import new_signing_secret, new_vapid_keys, rotate_secret
from lambdas.notifications.store import DynamoEndpoints
from platform_core.aws import client
from platform_core.config import get_config
from platform_core.resources import Resources

SERVICE = "notification-sender"


def _secret_id(env: str) -> str:
    return Resources(get_config(), env).service_secrets(SERVICE)["webhooks"]


def _read(secret_id: str) -> dict[str, Any]:
    secrets = client("secretsmanager")
    try:
        secrets.describe_secret(SecretId=secret_id)
    except secrets.exceptions.ResourceNotFoundException:
        raise SystemExit(f"no secret {secret_id}: deploy the environment first") from None
    try:
        value = secrets.get_secret_value(SecretId=secret_id).get("SecretString")
    except secrets.exceptions.ResourceNotFoundException:
        return {}  # created by Terraform without a value yet
    return dict(json.loads(value or "{}"))


def _write(secret_id: str, document: dict[str, Any]) -> None:
    client("secretsmanager").put_secret_value(SecretId=secret_id, SecretString=json.dumps(document, indent=1))


def set_endpoint(env: str, partner: str, url: str) -> str | None:
    """Register or move an endpoint; the new secret when the partner had none."""
    if not url.startswith("https://"):
        raise SystemExit("a partner's endpoint is an https:// URL")
    secret_id = _secret_id(env)
    document = _read(secret_id)
    entry = dict(document.get(partner, {}))
    fresh = None if entry.get("secrets") else new_signing_secret()
    entry["url"] = url
    if fresh:
        entry["secrets"] = [{"secret": fresh, "expires_at": None}]
    _write(secret_id, {**document, partner: entry})
    return fresh


def rotate(env: str, partner: str, now: datetime | None = None) -> str:
    secret_id = _secret_id(env)
    document = _read(secret_id)
    if partner not in document:
        raise SystemExit(f"{partner} has no endpoint: set it first")
    overlap = timedelta(hours=get_catalog().webhooks.rotation_overlap_hours)
    rotated, fresh = rotate_secret(document, partner, overlap, now or datetime.now(UTC))
    _write(secret_id, rotated)
    return fresh


def show(env: str) -> list[dict[str, Any]]:
    document = _read(_secret_id(env))
    return [
        {
            "partner": p,
            "url": e["url"],
            "secrets": [{"expires_at": s.get("expires_at")} for s in e.get("secrets", [])],
        }
        for p, e in sorted(document.items())
    ]


def enable(env: str, partner: str) -> None:
    table = Resources(get_config(), env).service_tables(SERVICE)["endpoints"]
    DynamoEndpoints(client("dynamodb"), table).enable(partner)


def vapid(env: str, subject: str) -> str:
    """A new VAPID key pair in the `push` secret; its public key."""
    if not subject.startswith(("mailto:", "https:")):
        raise SystemExit("the VAPID contact is a mailto: or https: URL")
    keys = new_vapid_keys(subject)
    secret_id = Resources(get_config(), env).service_secrets(SERVICE)["push"]
    client("secretsmanager").put_secret_value(SecretId=secret_id, SecretString=json.dumps(keys))
    return keys["public_key"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.webhook_secrets", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("set", "rotate", "show", "enable", "vapid"):
        command = commands.add_parser(name)
        command.add_argument("--env", required=True, help="environment of config/platform.yaml")
        if name in ("set", "rotate", "enable"):
            command.add_argument("--partner", required=True)
        if name == "set":
            command.add_argument("--url", required=True)
        if name == "vapid":
            command.add_argument(
                "--subject", required=True, help="mailto: or https: contact for push services"
            )
    args = parser.parse_args(argv)
    if args.command == "set":
        fresh = set_endpoint(args.env, args.partner, args.url)
        print(
            f"{args.partner}: endpoint set"
            + (f"; its signing secret (give it to the partner): {fresh}" if fresh else "")
        )
    elif args.command == "rotate":
        fresh = rotate(args.env, args.partner)
        hours = get_catalog().webhooks.rotation_overlap_hours
        print(f"{args.partner}: new signing secret (the old one signs too for {hours} h): {fresh}")
    elif args.command == "show":
        print(json.dumps(show(args.env), indent=2))
    elif args.command == "enable":
        enable(args.env, args.partner)
        print(f"{args.partner}: endpoint enabled")
    else:
        print(f"VAPID public key (the PWA's applicationServerKey): {vapid(args.env, args.subject)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
