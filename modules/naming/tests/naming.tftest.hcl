# Same examples as tests/unit/test_naming.py: the HCL and Python naming agree.
variables {
  project     = "stockoss"
  environment = "dev"
  teams       = ["orders", "billing"]
  event_types = ["orders.order_created", "billing.invoice_issued"]
}

run "shared_names" {
  command = plan

  assert {
    condition     = output.shared.events_table == "stockoss-dev-events"
    error_message = "events table name differs from naming.events_table"
  }
  assert {
    condition     = output.shared.outbox_queue == "stockoss-dev-kafka-outbox" && output.shared.outbox_dlq == "stockoss-dev-kafka-outbox-dlq"
    error_message = "outbox names differ from naming.outbox_queue/outbox_dlq"
  }
  assert {
    condition     = output.shared.fanout_failure_queue == "stockoss-dev-fanout-failures"
    error_message = "fan-out failure queue name differs from naming.fanout_failure_queue"
  }
  assert {
    condition     = output.buckets.raw == "stockoss-dev-raw" && output.buckets.athena_results == "stockoss-dev-athena-results"
    error_message = "without an account id, bucket names are the local ones"
  }
}

run "team_names" {
  command = plan

  assert {
    condition     = output.team_queues["orders"] == "stockoss-dev-orders-events"
    error_message = "team queue name differs from naming.team_queue"
  }
  assert {
    condition     = output.team_dlqs["billing"] == "stockoss-dev-billing-events-dlq"
    error_message = "team DLQ name differs from naming.team_dlq"
  }
  assert {
    condition     = output.consumer_groups["orders"] == "stockoss-dev-orders-consumer"
    error_message = "consumer group differs from naming.consumer_group"
  }
}

run "topics" {
  command = plan

  assert {
    condition     = output.topics["orders.order_created"] == "dev.orders.order_created"
    error_message = "topic name differs from naming.topic_name"
  }
  assert {
    condition     = output.topics["billing.invoice_issued"] == "dev.billing.invoice_issued"
    error_message = "topic name differs from naming.topic_name"
  }
}

run "bucket_names_carry_the_account_id" {
  command = plan

  variables {
    environment = "prod"
    account_id  = "123456789012"
  }

  assert {
    condition     = output.buckets.curated == "stockoss-prod-curated-123456789012"
    error_message = "bucket_name(project, env, zone, account_id) appends the account id"
  }
}

run "rejects_a_bad_event_type" {
  command = plan

  variables {
    event_types = ["no_domain"]
  }

  expect_failures = [var.event_types]
}

run "rejects_a_bad_account_id" {
  command = plan

  variables {
    account_id = "12345"
  }

  expect_failures = [var.account_id]
}
