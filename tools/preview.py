"""Preview a notification template: every channel's text, and the e-mail's HTML in a file.

    make preview TEMPLATE=order_confirmed LOCALE=fr
    python -m tools preview order_confirmed --locale fr --set total=99.90 --out build/preview

The variables default to an example per template (the ones config/notifications.yaml names);
`--set name=value` overrides them, and leaving one out shows the error a real notification
would get. The HTML is written to <out>/<template>.<locale>.html to open in a browser.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

from lambdas.notifications.catalog import Channel, get_catalog
from lambdas.notifications.models import Notification, Recipient, Value
from lambdas.notifications.render import Renderer, TemplateError

EXAMPLES: dict[str, Value] = {
    "order_id": "ORD-7F3A2C",
    "client_order_ref": "PO-2026-0042",
    "total": "1234.50",
    "currency": "EUR",
    "reason": "out_of_stock",
    "invoice_number": "F-2026-000042",
    "invoice_id": "INV-7F3A2C",
    "issue_date": "2026-12-04",
    "file_name": "bon-de-livraison.pdf",
    "detail": "The PDF is encrypted: send it without a password",
}


def preview(
    template: str, locale: str, values: dict[str, Value], out: Path, unset: tuple[str, ...] = ()
) -> str:
    catalog = get_catalog()
    if template not in catalog.templates:
        raise SystemExit(f"no template {template!r}; templates: {', '.join(catalog.templates)}")
    variables = {
        name: values.get(name, EXAMPLES.get(name, name)) for name in catalog.templates[template].variables
    }
    variables.update({k: v for k, v in values.items() if k not in variables})
    for name in unset:
        variables.pop(name, None)
    notification = Notification(
        notification_id="NTF-PREVIEW",
        customer_id="cust-preview",
        template=template,
        locale=locale,
        channels=tuple(Channel),
        cause="notifications.notification_requested",
        cause_event_id="preview",
        requested_at=datetime.now(UTC),
        recipient=Recipient(name="Camille Durand", email="camille@example.com", phone="+33612345678"),
        order_id=str(variables.get("order_id", "")) or None,
        variables=variables,
    )
    renderer = Renderer(catalog)
    lines = [f"template {template}, locale {locale} (folder {renderer.locale_of(notification)})"]
    for channel in Channel:
        content = renderer.render(notification, channel)
        lines.append(f"\n== {channel.value} ==")
        if content.subject:
            lines.append(f"subject: {content.subject}")
        if content.title:
            lines.append(f"title:   {content.title}")
        if content.text:
            lines.append(content.text)
        lines.append(f"link:    {content.url}")
        if content.html:
            out.mkdir(parents=True, exist_ok=True)
            path = out / f"{template}.{locale}.html"
            path.write_text(content.html, encoding="utf-8")
            lines.append(f"html:    {path}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools preview", description=__doc__.split("\n")[0])
    parser.add_argument("template")
    parser.add_argument("--locale", default="en")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="a variable's value")
    parser.add_argument("--unset", action="append", default=[], metavar="NAME", help="leave a variable out")
    parser.add_argument("--out", type=Path, default=Path("build/preview"))
    args = parser.parse_args(argv)
    values: dict[str, Value] = dict(pair.split("=", 1) for pair in args.set)
    try:
        text = preview(args.template, args.locale, values, args.out, tuple(args.unset))
    except TemplateError as exc:
        print(f"error: {exc}")
        return 1
    print(text)
    return 0
