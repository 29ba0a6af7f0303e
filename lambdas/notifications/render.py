"""Templates (Jinja2, one folder per template and locale) rendered into what each channel carries.

A variable a template needs and the notification lacks is an error naming the template, the
locale and the variable (Jinja2's StrictUndefined), never a blank in a customer's message.
Numbers, money and dates are formatted for the recipient's locale by Babel. A locale with no
translation of a template falls back to the catalog's default locale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
    pass_context,
    select_autoescape,
)
from jinja2 import TemplateError as JinjaError
from jinja2.runtime import Context

from lambdas.notifications.catalog import CHANNEL_FILES, TEMPLATES_DIR, Catalog, Channel
from lambdas.notifications.models import Notification

SHARED = "_shared"


class TemplateError(Exception):
    """A template that cannot be rendered for this notification (the message names it); not retried."""


@dataclass(frozen=True)
class Content:
    """What one channel carries. E-mail: subject, text, html; SMS: text; push and inbox: title, text."""

    subject: str = ""
    text: str = ""
    html: str | None = None
    title: str = ""
    url: str = ""


class Renderer:
    def __init__(self, catalog: Catalog, directory: Path = TEMPLATES_DIR):
        self._catalog = catalog
        self._directory = directory
        self._env = Environment(
            loader=FileSystemLoader(directory),
            undefined=StrictUndefined,
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
            keep_trailing_newline=False,
            trim_blocks=True,
        )
        self._env.filters.update(money=_money, day=_day, number=_number, reason=_reason)
        self._reasons = {
            p.parent.name: yaml.safe_load(p.read_text(encoding="utf-8"))
            for p in (directory / SHARED).glob("*/reasons.yaml")
        }

    def locale_of(self, notification: Notification) -> str:
        """The template folder's locale: the notification's language if translated, else the default."""
        language = notification.language
        if (self._directory / notification.template / language).is_dir():
            return language
        return self._catalog.default_locale

    def render(self, notification: Notification, channel: Channel) -> Content:
        template = self._catalog.templates.get(notification.template)
        if template is None:
            raise TemplateError(f"no template {notification.template!r} (config/notifications.yaml)")
        missing = [v for v in template.variables if v not in notification.variables]
        if missing:
            raise TemplateError(
                f"template {notification.template}: variable {', '.join(missing)} missing from "
                f"notification {notification.notification_id}"
            )
        folder = self.locale_of(notification)
        context = self.context(notification)
        files = {
            name: self._file(notification.template, folder, name, context) for name in CHANNEL_FILES[channel]
        }
        url = self._url(notification)
        if channel is Channel.EMAIL:
            return Content(
                subject=files["subject.txt"], text=files["body.txt"], html=files["body.html"], url=url
            )
        if channel is Channel.SMS:
            return Content(text=files["sms.txt"], url=url)
        if channel in (Channel.PUSH, Channel.INBOX):
            return Content(title=files["title.txt"], text=files["short.txt"], url=url)
        return Content(url=url)

    def context(self, notification: Notification) -> dict[str, Any]:
        return {
            **notification.variables,
            "app_url": self._catalog.app_url,
            "customer_name": notification.recipient.name,
            "order_id": notification.variables.get("order_id", notification.order_id),
            "babel_locale": _babel_locale(notification.locale, self._catalog.default_locale),
            "reasons": self._reasons.get(self.locale_of(notification), {}),
        }

    def _file(self, template: str, folder: str, name: str, context: dict[str, Any]) -> str:
        path = f"{template}/{folder}/{name}"
        try:
            text = self._env.get_template(path).render(context)
        except TemplateNotFound as exc:
            raise TemplateError(f"template {template}: no {folder}/{name}") from exc
        except (JinjaError, ValueError, InvalidOperation) as exc:
            raise TemplateError(f"template {template} ({folder}/{name}): {exc}") from exc
        return text.strip() if name.endswith(".txt") and name != "body.txt" else text

    def _url(self, notification: Notification) -> str:
        variables = notification.variables
        if "invoice_id" in variables:
            return f"{self._catalog.app_url}/invoices/{variables['invoice_id']}"
        order_id = variables.get("order_id", notification.order_id)
        if order_id:
            return f"{self._catalog.app_url}/orders/{order_id}"
        return f"{self._catalog.app_url}/notifications"


@cache
def _babel_locale(locale: str, default: str) -> Locale:
    try:
        return Locale.parse(locale.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse(default)


@pass_context
def _money(context: Context, amount: Any, currency: str) -> str:
    return str(format_currency(Decimal(str(amount)), currency, locale=context["babel_locale"]))


@pass_context
def _number(context: Context, value: Any) -> str:
    return str(format_decimal(Decimal(str(value)), locale=context["babel_locale"]))


@pass_context
def _day(context: Context, value: Any) -> str:
    day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return str(format_date(day, format="long", locale=context["babel_locale"]))


@pass_context
def _reason(context: Context, code: Any) -> str:
    return str(context["reasons"].get(str(code), str(code).replace("_", " ")))
