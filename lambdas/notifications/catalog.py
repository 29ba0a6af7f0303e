"""What the notification service sends and how (config/notifications.yaml), validated once per process.

A template without its files in every locale, an event mapped to an unknown template, a
variable mapped from nowhere or a channel without a retry schedule fails the cold start (and
the unit tests), never a notification.
"""

from __future__ import annotations

import os
import re
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from platform_core.config import EVENT_TYPE_PATTERN, ROOT

DEFAULT_CATALOG_PATH = ROOT / "config" / "notifications.yaml"
CATALOG_PATH_ENV = "NOTIFICATIONS_CONFIG_PATH"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
VARIABLE_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    PUSH = "push"
    WEBHOOK = "webhook"
    INBOX = "inbox"


# The files a template needs per channel, in each locale's folder.
CHANNEL_FILES: dict[Channel, tuple[str, ...]] = {
    Channel.EMAIL: ("subject.txt", "body.txt", "body.html"),
    Channel.SMS: ("sms.txt",),
    Channel.PUSH: ("title.txt", "short.txt"),
    Channel.WEBHOOK: (),  # the event's data as JSON, no text
    Channel.INBOX: ("title.txt", "short.txt"),
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Template(_Strict):
    description: str = Field(min_length=1)
    variables: tuple[str, ...] = ()


class EventMapping(_Strict):
    """A platform event a customer hears about: its template, channels and variables (payload fields)."""

    template: str
    # The payload field naming what it is about (e.g. invoice_id): the notification's id derives from it,
    # so the same invoice announced twice is one notification.
    key: str = Field(pattern=VARIABLE_PATTERN)
    channels: tuple[Channel, ...] = Field(min_length=1)
    variables: dict[str, str] = {}


class ChannelPolicy(_Strict):
    default: Literal["opt_in", "opt_out"]
    quiet_hours: bool
    retry_seconds: tuple[int, ...] = Field(min_length=1)
    per_recipient_per_hour: int = Field(ge=1)


class ProviderRate(_Strict):
    per_second: float = Field(gt=0)
    burst: int = Field(ge=1)


class QuietHours(_Strict):
    start: str = Field(pattern=TIME_PATTERN)
    end: str = Field(pattern=TIME_PATTERN)
    timezone: str = Field(min_length=1)


class InboxSettings(_Strict):
    retention_days: int = Field(ge=1, le=3650)
    page_size: int = Field(ge=1, le=100)


class WebhookSettings(_Strict):
    timeout_seconds: float = Field(gt=0, le=30)
    breaker_failures: int = Field(ge=1)
    breaker_open_seconds: int = Field(ge=1)
    rotation_overlap_hours: int = Field(ge=1, le=24 * 30)


class Catalog(_Strict):
    default_locale: str = Field(pattern=r"^[a-z]{2}$")
    app_url: str = Field(pattern=r"^https://")
    sender_name: str = Field(min_length=1)
    templates: dict[str, Template]
    events: dict[str, EventMapping] = {}
    channels: dict[Channel, ChannelPolicy]
    providers: dict[str, ProviderRate]
    quiet_hours: QuietHours
    inbox: InboxSettings
    webhooks: WebhookSettings

    @model_validator(mode="after")
    def _check(self) -> Catalog:
        problems = [f"channels: no policy for {c.value}" for c in Channel if c not in self.channels]
        for event_type, mapping in self.events.items():
            where = f"events.{event_type}"
            if not _matches(EVENT_TYPE_PATTERN, event_type):
                problems.append(f"{where}: not an event type")
            template = self.templates.get(mapping.template)
            if template is None:
                problems.append(f"{where}.template: no template {mapping.template!r}")
                continue
            missing = sorted(set(template.variables) - set(mapping.variables))
            if missing:
                problems.append(f"{where}.variables: {mapping.template} needs {', '.join(missing)}")
        for name, template in self.templates.items():
            problems += [
                f"templates.{name}.variables: {v!r} is not a variable name"
                for v in template.variables
                if not _matches(VARIABLE_PATTERN, v)
            ]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def policy(self, channel: Channel) -> ChannelPolicy:
        return self.channels[channel]


def _matches(pattern: str, value: str) -> bool:
    return re.match(pattern, value) is not None


def load_catalog(path: str | os.PathLike[str] | None = None) -> Catalog:
    catalog_path = Path(path or os.environ.get(CATALOG_PATH_ENV) or DEFAULT_CATALOG_PATH)
    with catalog_path.open(encoding="utf-8") as handle:
        return Catalog.model_validate(yaml.safe_load(handle))


@lru_cache(maxsize=1)
def get_catalog() -> Catalog:
    return load_catalog()
