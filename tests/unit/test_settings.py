"""A function's settings: its environment read into one typed model."""

from __future__ import annotations

import pytest
from pydantic import Field, ValidationError

from platform_core.settings import FunctionSettings, ProducerSettings


class Settings(FunctionSettings):
    events_table: str
    api_key_teams: dict[str, str] = Field(min_length=1)
    batch_limit: int = 10


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("PLATFORM_ENV", "dev")
    monkeypatch.setenv("EVENTS_TABLE", "stockoss-dev-events")
    monkeypatch.setenv("API_KEY_TEAMS", '{"key-1": "orders"}')
    return monkeypatch


def test_each_field_reads_the_variable_of_its_name_in_upper_case(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("BATCH_LIMIT", "25")
    settings = Settings.from_environment()
    assert settings.platform_env == "dev"
    assert settings.events_table == "stockoss-dev-events"
    assert settings.batch_limit == 25
    assert settings.powertools_service_name == "platform"  # a default when the variable is absent


def test_a_structured_field_reads_its_variable_as_json(environment: pytest.MonkeyPatch) -> None:
    assert Settings.from_environment().api_key_teams == {"key-1": "orders"}


def test_a_variable_that_is_not_json_names_itself(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("API_KEY_TEAMS", "key-1=orders")
    with pytest.raises(ValidationError, match="API_KEY_TEAMS is not valid JSON"):
        Settings.from_environment()


def test_a_missing_variable_fails_naming_it(environment: pytest.MonkeyPatch) -> None:
    environment.delenv("EVENTS_TABLE")
    with pytest.raises(ValidationError, match="events_table"):
        Settings.from_environment()


def test_the_constraints_of_a_field_hold_on_its_variable(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("API_KEY_TEAMS", "{}")
    with pytest.raises(ValidationError, match="api_key_teams"):
        Settings.from_environment()


def test_values_given_as_arguments_win_over_the_environment(environment: pytest.MonkeyPatch) -> None:
    # api_key_teams comes from the environment, which mypy does not know pydantic-settings reads.
    settings = Settings(events_table="other", batch_limit=3)  # type: ignore[call-arg]
    assert (settings.events_table, settings.batch_limit, settings.platform_env) == ("other", 3, "dev")


def test_settings_are_frozen_and_ignore_unrelated_variables(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("SOMETHING_ELSE", "x")
    settings = Settings.from_environment()
    with pytest.raises(ValidationError):
        settings.events_table = "changed"
    assert not hasattr(settings, "something_else")


def test_a_producer_needs_the_api_url_and_its_key_secret(environment: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError, match="platform_api_url"):
        ProducerSettings.from_environment()
    environment.setenv("PLATFORM_API_URL", "http://127.0.0.1:4566/dev")
    environment.setenv("PLATFORM_API_KEY_SECRET", "stockoss-dev-orders-api-key")
    assert ProducerSettings.from_environment().platform_api_url == "http://127.0.0.1:4566/dev"
