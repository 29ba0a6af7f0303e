import re
from pathlib import Path

import pytest
import yaml

from platform_core.config import DEFAULT_CONFIG_PATH, PlatformConfig, get_config, load_config


def test_repository_config_is_valid() -> None:
    config = get_config()
    assert {"orders", "billing", "documents"} <= set(config.teams)
    assert set(config.environments) == {"dev", "staging", "prod"}


def test_every_produced_event_type_has_a_schema() -> None:
    from platform_core.registry import get_registry

    assert set(get_config().event_types) <= set(get_registry().event_types)


def test_cross_team_subscriptions_exist() -> None:
    config = get_config()
    assert "billing" in config.sqs_subscribers("billing.invoice_requested")
    assert "orders" in config.sqs_subscribers("billing.invoice_issued")
    assert config.kafka_event_types


def _mutated(tmp_path: Path, change) -> Path:
    data = yaml.safe_load(DEFAULT_CONFIG_PATH.read_text())
    change(data)
    path = tmp_path / "platform.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_subscription_to_an_event_nobody_produces_is_refused(tmp_path: Path) -> None:
    path = _mutated(tmp_path, lambda d: d["teams"]["orders"]["subscriptions"]["sqs"].append("orders.nope"))
    with pytest.raises(ValueError, match=re.escape("nobody produces orders.nope")):
        load_config(path)


def test_two_producers_of_one_event_type_are_refused(tmp_path: Path) -> None:
    path = _mutated(tmp_path, lambda d: d["teams"]["billing"]["produces"].append("orders.order_created"))
    with pytest.raises(ValueError, match=re.escape("orders.order_created is already produced by")):
        load_config(path)


def test_unknown_keys_are_refused(tmp_path: Path) -> None:
    path = _mutated(tmp_path, lambda d: d.update(typo_key=1))
    with pytest.raises(ValueError, match="typo_key"):
        load_config(path)


def test_topic_settings_use_overrides_then_defaults() -> None:
    config: PlatformConfig = get_config()
    assert config.topic_settings("orders.order_created")[0] == 6
    assert config.topic_settings("orders.order_cancelled") == (
        config.kafka.default_partitions,
        config.kafka.default_retention_hours,
    )


def test_a_bucket_lifecycle_rule_is_typed_and_bounded_as_s3_bounds_it() -> None:
    from platform_core.config import ServiceBucket

    bucket = ServiceBucket.model_validate({"lifecycle": [{"prefix": "inbox/", "expiration_days": 14}]})
    assert bucket.lifecycle[0].prefix == "inbox/" and bucket.lifecycle[0].transition_ia_days is None
    with pytest.raises(ValueError, match="transition_ia_days"):
        ServiceBucket.model_validate({"lifecycle": [{"prefix": "x/", "transition_ia_days": 7}]})
    with pytest.raises(ValueError, match="prefix"):
        ServiceBucket.model_validate({"lifecycle": [{"expiration_days": 7}]})
