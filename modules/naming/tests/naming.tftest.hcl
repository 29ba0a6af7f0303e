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

# Declared services: the same examples as tests/unit/test_naming.py test_service_names.
run "service_names_and_environment" {
  command = plan

  variables {
    account_id = "123456789012"
    api_url    = "https://api.example/live"
    services = {
      order-saga = {
        team    = "orders"
        tables  = ["orders", "order-state"]
        secrets = ["erp"]
        emits   = ["orders.order_confirmed"]
      }
      orders-api = {
        team        = "orders"
        buckets     = ["uploads"]
        uses        = ["order-saga"]
        environment = { LOG_LEVEL = "DEBUG" }
      }
    }
  }

  assert {
    condition     = output.services["order-saga"].function == "stockoss-dev-orders-order-saga"
    error_message = "function name differs from naming.service_function"
  }
  assert {
    condition     = output.services["order-saga"].tables["order-state"] == "stockoss-dev-orders-order-state"
    error_message = "table name differs from naming.service_table"
  }
  assert {
    condition     = output.services["orders-api"].buckets["uploads"] == "stockoss-dev-orders-uploads-123456789012"
    error_message = "bucket name differs from naming.service_bucket (with the account id)"
  }
  assert {
    condition     = output.services["order-saga"].secrets["erp"] == "stockoss-dev-orders-erp"
    error_message = "secret name differs from naming.service_secret"
  }
  assert {
    condition     = output.services["orders-api"].inbox_queue == "stockoss-dev-orders-orders-api-inbox" && output.services["orders-api"].inbox_dlq == "stockoss-dev-orders-orders-api-inbox-dlq"
    error_message = "inbox queue names differ from naming.service_queue/service_dlq"
  }
  assert {
    condition     = output.services["order-saga"].consumer_group == "stockoss-dev-orders-consumer-order-saga"
    error_message = "consumer group differs from naming.service_consumer_group"
  }
  assert {
    condition = output.service_environments["order-saga"] == tomap({
      PLATFORM_ENV                 = "dev"
      POWERTOOLS_SERVICE_NAME      = "order-saga"
      POWERTOOLS_METRICS_NAMESPACE = "stockoss"
      TEAM                         = "orders"
      TABLE_ORDERS                 = "stockoss-dev-orders-orders"
      TABLE_ORDER_STATE            = "stockoss-dev-orders-order-state"
      SECRET_ERP                   = "stockoss-dev-orders-erp"
      PLATFORM_API_KEY_SECRET      = "stockoss-dev-orders-api-key"
      PLATFORM_API_URL             = "https://api.example/live"
    })
    error_message = "an emitting service gets its tables, secrets, the API key secret and the API URL"
  }
  assert {
    condition = output.service_environments["orders-api"] == tomap({
      PLATFORM_ENV                 = "dev"
      POWERTOOLS_SERVICE_NAME      = "orders-api"
      POWERTOOLS_METRICS_NAMESPACE = "stockoss"
      TEAM                         = "orders"
      BUCKET_UPLOADS               = "stockoss-dev-orders-uploads-123456789012"
      TABLE_ORDERS                 = "stockoss-dev-orders-orders"
      TABLE_ORDER_STATE            = "stockoss-dev-orders-order-state"
      LOG_LEVEL                    = "DEBUG"
    })
    error_message = "a service gets the tables of the services it uses, and its declared environment, and no API settings when it does not emit"
  }
}

run "rejects_a_service_using_an_undeclared_one" {
  command = plan

  variables {
    services = {
      lonely = { team = "orders", uses = ["ghost"] }
    }
  }

  expect_failures = [var.services]
}
