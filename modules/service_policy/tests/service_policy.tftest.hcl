# What each kind of declaration grants, and nothing more.
variables {
  names = {
    tables         = { orders = "stockoss-dev-orders-orders" }
    buckets        = {}
    secrets        = { erp = "stockoss-dev-orders-erp" }
    inbox_queue    = "stockoss-dev-orders-saga-inbox"
    consumer_group = "stockoss-dev-orders-consumer-saga"
    api_key_secret = "stockoss-dev-orders-api-key"
  }
  arns = {
    partition            = "aws"
    region               = "eu-west-1"
    account_id           = "123456789012"
    kms_key              = "arn:aws:kms:eu-west-1:123456789012:key/k"
    team_queue           = "arn:aws:sqs:eu-west-1:123456789012:stockoss-dev-orders-events"
    ingest_api_execution = "arn:aws:execute-api:eu-west-1:123456789012:abc123"
  }
  service = {
    trigger     = { type = "queue" }
    emits       = ["orders.order_confirmed"]
    permissions = [{ actions = ["sqs:SendMessage"], resources = ["arn:aws:sqs:eu-west-1:123456789012:stockoss-dev-orders-events"] }]
  }
}

run "a_queue_service_that_emits" {
  command = plan

  assert {
    condition     = [for s in output.statements : s.sid] == ["OwnTables", "ReadOwnSecrets", "ConsumeTheTriggerQueue", "ReadTheTeamApiKey", "SendEventsThroughTheIngestApi", "UseTheDataKey", "Declared0"]
    error_message = "unexpected statements"
  }
  assert {
    condition     = output.statements[0].resources == ["arn:aws:dynamodb:eu-west-1:123456789012:table/stockoss-dev-orders-orders", "arn:aws:dynamodb:eu-west-1:123456789012:table/stockoss-dev-orders-orders/index/*"]
    error_message = "its own table and its indexes"
  }
  assert {
    condition     = output.statements[1].resources == ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:stockoss-dev-orders-erp-??????"]
    error_message = "its secrets by name, with Secrets Manager's random suffix"
  }
  assert {
    condition     = output.statements[2].resources == ["arn:aws:sqs:eu-west-1:123456789012:stockoss-dev-orders-events"]
    error_message = "the team queue it is triggered by"
  }
  assert {
    condition     = output.statements[4].resources == ["arn:aws:execute-api:eu-west-1:123456789012:abc123/*/POST/v1/events"]
    error_message = "only POST /v1/events of the ingest API"
  }
}

run "an_s3_service_reads_its_inbox_and_the_buckets_it_uses" {
  command = plan

  variables {
    service = { trigger = { type = "s3" }, emits = [], permissions = [] }
    used    = { archive = { tables = {}, buckets = { docs = "stockoss-dev-orders-docs-123456789012" } } }
  }

  assert {
    condition     = [for s in output.statements : s.sid] == ["OwnTables", "ListOwnBuckets", "OwnObjects", "ReadOwnSecrets", "ConsumeTheTriggerQueue", "UseTheDataKey"]
    error_message = "no API, no API key, but the used service's bucket and the inbox queue"
  }
  assert {
    condition     = output.statements[2].resources == ["arn:aws:s3:::stockoss-dev-orders-docs-123456789012/*"]
    error_message = "objects of the used service's bucket"
  }
  assert {
    condition     = output.statements[4].resources == ["arn:aws:sqs:eu-west-1:123456789012:stockoss-dev-orders-saga-inbox"]
    error_message = "the service's own inbox queue"
  }
}

run "a_kafka_service_on_msk_reads_its_topics_in_its_groups" {
  command = plan

  variables {
    service = { trigger = { type = "kafka" }, emits = [], permissions = [] }
    topics  = { "orders.order_created" = "dev.orders.order_created" }
    arns = {
      partition          = "aws"
      region             = "eu-west-1"
      account_id         = "123456789012"
      kms_key            = "arn:aws:kms:eu-west-1:123456789012:key/k"
      kafka_cluster      = "arn:aws:kafka:eu-west-1:123456789012:cluster/c/u"
      kafka_topic_prefix = "arn:aws:kafka:eu-west-1:123456789012:topic/c/u"
      kafka_group_prefix = "arn:aws:kafka:eu-west-1:123456789012:group/c/u"
    }
  }

  assert {
    condition     = contains([for s in output.statements : s.sid], "ReadTheTopics") && !contains([for s in output.statements : s.sid], "ConsumeTheTriggerQueue")
    error_message = "topics, not queues"
  }
  assert {
    condition     = [for s in output.statements : s.resources if s.sid == "ReadTheTopics"][0] == ["arn:aws:kafka:eu-west-1:123456789012:topic/c/u/dev.orders.order_created"]
    error_message = "only its topics"
  }
  assert {
    condition     = [for s in output.statements : s.resources if s.sid == "OwnConsumerGroups"][0] == ["arn:aws:kafka:eu-west-1:123456789012:group/c/u/stockoss-dev-orders-consumer-saga*"]
    error_message = "only its consumer groups (one per topic)"
  }
}

run "refuses_a_declared_wildcard_action" {
  command = plan

  variables {
    service = { trigger = { type = "schedule" }, emits = [], permissions = [{ actions = ["s3:*"], resources = ["arn:aws:s3:::x/*"] }] }
  }

  expect_failures = [var.service]
}

run "refuses_a_declared_wildcard_resource" {
  command = plan

  variables {
    service = { trigger = { type = "schedule" }, emits = [], permissions = [{ actions = ["s3:GetObject"], resources = ["*"] }] }
  }

  expect_failures = [var.service]
}

run "a_queue_trigger_needs_the_team_queue" {
  command = plan

  variables {
    arns = { partition = "aws", region = "eu-west-1", account_id = "123456789012", kms_key = "arn:aws:kms:eu-west-1:123456789012:key/k", ingest_api_execution = "arn:aws:execute-api:eu-west-1:123456789012:abc123" }
  }

  expect_failures = [output.statements]
}

run "a_service_that_sends_mail_sends_from_its_address_only" {
  command = plan

  variables {
    service = {
      trigger     = { type = "schedule" }
      emits       = []
      permissions = []
      mail        = { from_address = "factures@stockoss.example.com", domain = "stockoss.example.com" }
    }
    names = {
      tables                 = {}
      buckets                = {}
      secrets                = {}
      inbox_queue            = "stockoss-dev-billing-invoices-inbox"
      consumer_group         = "stockoss-dev-billing-consumer-invoices"
      api_key_secret         = "stockoss-dev-billing-api-key"
      mail_configuration_set = "stockoss-dev-billing-invoices-mail"
    }
  }

  assert {
    condition     = [for s in output.statements : s.resources if s.sid == "SendMailAsItsSender"][0] == ["arn:aws:ses:eu-west-1:123456789012:identity/stockoss.example.com", "arn:aws:ses:eu-west-1:123456789012:configuration-set/stockoss-dev-billing-invoices-mail"]
    error_message = "its domain's identity and its configuration set"
  }
  assert {
    condition     = [for s in output.statements : s.conditions if s.sid == "SendMailAsItsSender"][0] == [{ test = "StringEquals", variable = "ses:FromAddress", values = ["factures@stockoss.example.com"] }]
    error_message = "from its declared address only"
  }
}

run "an_sms_sender_texts_through_its_configuration_set_from_its_sender_id" {
  command = plan

  variables {
    service = {
      trigger     = { type = "queue" }
      emits       = []
      permissions = []
      sms         = { origination = { type = "sender_id", country = "FR", sender_id = "StockOSS" } }
    }
    names = {
      tables                = {}
      buckets               = {}
      secrets               = {}
      inbox_queue           = "stockoss-dev-notifications-sender-inbox"
      consumer_group        = "stockoss-dev-notifications-consumer-sender"
      api_key_secret        = "stockoss-dev-notifications-api-key"
      sms_configuration_set = "stockoss-dev-notifications-sender-sms"
    }
  }

  assert {
    condition = [for s in output.statements : s.resources if s.sid == "SendTextsThroughItsConfigurationSet"] == [[
      "arn:aws:sms-voice:eu-west-1:123456789012:configuration-set/stockoss-dev-notifications-sender-sms",
      "arn:aws:sms-voice:eu-west-1:123456789012:sender-id/StockOSS/FR",
    ]]
    error_message = "its configuration set and its own sender id only"
  }
}

run "an_sms_sender_without_an_origination_texts_from_the_accounts_identities" {
  command = plan

  variables {
    service = { trigger = { type = "queue" }, emits = [], permissions = [], sms = {} }
    names = {
      tables                = {}
      buckets               = {}
      secrets               = {}
      inbox_queue           = "stockoss-dev-notifications-sender-inbox"
      consumer_group        = "stockoss-dev-notifications-consumer-sender"
      api_key_secret        = "stockoss-dev-notifications-api-key"
      sms_configuration_set = "stockoss-dev-notifications-sender-sms"
    }
  }

  assert {
    condition = [for s in output.statements : s.resources if s.sid == "SendTextsThroughItsConfigurationSet"] == [[
      "arn:aws:sms-voice:eu-west-1:123456789012:configuration-set/stockoss-dev-notifications-sender-sms",
      "arn:aws:sms-voice:eu-west-1:123456789012:phone-number/*",
      "arn:aws:sms-voice:eu-west-1:123456789012:sender-id/*",
      "arn:aws:sms-voice:eu-west-1:123456789012:pool/*",
    ]]
    error_message = "its configuration set and the account's identities in its region"
  }
}
