# The real configuration file, parsed offline, and the derived maps checked
# against what platform_core/config.py derives from the same file.
variables {
  config_yaml = file("../../config/platform.yaml")
  environment = "dev"
}

run "parses_the_repository_configuration" {
  command = plan

  assert {
    condition     = output.project == "stockoss" && output.region == "eu-west-1"
    error_message = "project/region not read from config/platform.yaml"
  }
  assert {
    condition     = slice(output.team_names, 0, 3) == tolist(["orders", "billing", "documents"]) && length(output.team_names) == length(keys(yamldecode(var.config_yaml).teams))
    error_message = "teams must keep the order of the file, not the sorted map order"
  }
  assert {
    condition     = output.environment_names == tolist(["dev", "staging", "prod"])
    error_message = "environments must keep the order of the file"
  }
  assert {
    condition     = output.environment.deletion_protection == false && output.environment.log_retention_days == 14
    error_message = "selected environment settings are wrong"
  }
}

run "subscriptions_and_topics" {
  command = plan

  assert {
    condition     = output.sqs_subscriber_teams == tolist([for t in output.team_names : t if length(try(yamldecode(var.config_yaml).teams[t].subscriptions.sqs, [])) > 0])
    error_message = "sqs_subscriber_teams differs from config.py (the teams with SQS subscriptions, in file order)"
  }
  assert {
    condition     = slice(output.sqs_subscribers["billing.invoice_issued"], 0, 2) == tolist(["orders", "documents"])
    error_message = "sqs_subscribers differs from config.py"
  }
  assert {
    condition     = output.kafka_event_types == tolist(["orders.order_created", "orders.order_cancelled", "billing.invoice_issued"])
    error_message = "kafka_event_types differs from config.py (event types with a Kafka subscriber, in produce order)"
  }
  assert {
    condition     = output.topics["orders.order_created"].partitions == 6 && output.topics["orders.order_created"].retention_hours == 168
    error_message = "per-topic partitions override not applied"
  }
  assert {
    condition     = output.topics["billing.invoice_issued"].partitions == 3 && output.topics["billing.invoice_issued"].retention_hours == 336
    error_message = "per-topic retention override not applied"
  }
  assert {
    condition     = output.producer_of["billing.invoice_issued"] == "billing"
    error_message = "producer_of is wrong"
  }
}

run "cidr_allocation" {
  command = plan

  assert {
    condition     = output.team_cidrs["orders"] == "10.64.0.0/20" && output.team_cidrs["billing"] == "10.64.16.0/20" && output.team_cidrs["documents"] == "10.64.32.0/20"
    error_message = "dev team CIDRs are not carved in file order from the first environment block"
  }
  assert {
    condition     = output.all_team_cidrs["prod/orders"] == "10.72.0.0/20" && output.all_team_cidrs["staging/orders"] == "10.68.0.0/20"
    error_message = "each environment must have its own /14 block"
  }
  assert {
    condition     = jsonencode(output.team_subnets["orders"]) == jsonencode({ private = ["10.64.0.0/24", "10.64.1.0/24"], public = ["10.64.8.0/24", "10.64.9.0/24"] })
    error_message = "subnets per AZ are wrong"
  }
  assert {
    # No two VPCs overlap: equal-size aligned blocks overlap only when equal.
    condition     = length(distinct(values(output.all_team_cidrs))) == length(output.all_team_cidrs)
    error_message = "two team VPCs share a CIDR"
  }
  assert {
    condition     = output.shared_cidr == "10.67.240.0/20" && !contains(values(output.team_cidrs), output.shared_cidr)
    error_message = "the shared-services VPC takes the last slot of the environment block"
  }
  assert {
    condition     = alltrue([for c in values(output.all_team_cidrs) : endswith(c, "/20")])
    error_message = "team VPCs must be /team_prefix_length"
  }
}

run "accounts" {
  command = plan

  assert {
    condition     = output.accounts["log-archive"].email == "aws+stockoss-log-archive@example.com" && output.accounts["log-archive"].ou == "Security"
    error_message = "shared account e-mail/OU is wrong"
  }
  assert {
    condition     = output.accounts["prod"].name == "stockoss-prod" && output.accounts["prod"].ou == "Workloads"
    error_message = "one workload account per environment"
  }
  assert {
    condition     = length(output.accounts) == 6
    error_message = "3 shared + 3 workload accounts expected"
  }
}

run "slots_follow_the_file_order_not_the_name_order" {
  command = plan

  variables {
    config_yaml = replace(file("../../config/platform.yaml"), "\nteams:\n", "\nteams:\n  aardvark:\n    api: {rate_limit: 1, burst_limit: 1, quota_per_day: 1}\n    produces: [aardvark.thing_happened]\n")
  }

  assert {
    condition     = output.team_cidrs["aardvark"] == "10.64.0.0/20" && output.team_cidrs["orders"] == "10.64.16.0/20"
    error_message = "a team listed first takes slot 0: this is why new teams are appended, never inserted"
  }
}

run "appending_a_team_keeps_existing_cidrs" {
  command = plan

  variables {
    # Appended at the end of `teams:`, which the services section follows.
    config_yaml = replace(file("../../config/platform.yaml"), "\n# Services:", "  aardvark:\n    api: {rate_limit: 1, burst_limit: 1, quota_per_day: 1}\n    produces: [aardvark.thing_happened]\n\n# Services:")
  }

  assert {
    condition     = output.team_cidrs["orders"] == "10.64.0.0/20" && output.team_cidrs["documents"] == "10.64.32.0/20" && output.team_cidrs["aardvark"] == cidrsubnet("10.64.0.0/14", 6, length(output.team_names) - 1)
    error_message = "an appended team must take the next free slot and move nobody (although its name sorts first)"
  }
}

run "rejects_a_subscription_nobody_produces" {
  command = plan

  variables {
    config_yaml = replace(file("../../config/platform.yaml"), "kafka:\n        - orders.order_created\n", "kafka:\n        - orders.nothing\n")
  }

  expect_failures = [var.config_yaml]
}

run "rejects_a_region_outside_the_allow_list" {
  command = plan

  variables {
    config_yaml = replace(file("../../config/platform.yaml"), "region: eu-west-1", "region: us-east-1")
  }

  expect_failures = [var.config_yaml]
}

run "rejects_an_event_type_produced_twice" {
  command = plan

  variables {
    config_yaml = replace(file("../../config/platform.yaml"), "- billing.invoice_requested", "- orders.order_created")
  }

  expect_failures = [var.config_yaml]
}

run "rejects_an_unknown_environment" {
  command = plan

  variables {
    environment = "qa"
  }

  expect_failures = [var.environment]
}

run "organisation_roots_select_no_environment" {
  command = plan

  variables {
    environment = null
  }

  assert {
    condition     = output.environment == null && length(output.team_cidrs) == 0
    error_message = "with no environment, no per-environment maps"
  }
}

run "services_are_normalised_with_the_python_defaults" {
  command = plan

  variables {
    config_yaml = <<-YAML
      ${file("../../config/platform.yaml")}
        toy:
          team: billing
          description: A toy
          handler: lambdas.toy.handler.lambda_handler
          trigger: {type: s3, bucket: inbox, prefix: "in/"}
          buckets:
            inbox: {object_lock_days: 30, lifecycle: [{prefix: "in/", expiration_days: 7}]}
    YAML
  }

  assert {
    condition     = output.services["toy"].package == "lambdas.toy" && output.services["toy"].trigger.type == "s3" && output.services["toy"].trigger.prefix == "in/"
    error_message = "the handler's package and the trigger are read"
  }
  assert {
    condition     = output.services["toy"].batch.size == 10 && output.services["toy"].concurrency == 2 && output.services["toy"].timeout_seconds == 30 && output.services["toy"].memory_mb == 256
    error_message = "defaults differ from platform_core/config.py Service"
  }
  assert {
    condition     = output.services["toy"].buckets["inbox"].object_lock_days == 30 && output.services["toy"].buckets["inbox"].lifecycle[0].expiration_days == 7 && output.services["toy"].buckets["inbox"].lifecycle[0].transition_ia_days == null
    error_message = "bucket settings and lifecycle rules with every field present"
  }
  assert {
    condition     = output.services["toy"].packaging.type == "zip" && length(output.services["toy"].emits) == 0 && output.services["toy"].identity == null
    error_message = "packaging defaults to zip, emits to nothing, identity to null"
  }
  assert {
    condition     = sort(output.emitting_teams) == sort(distinct([for s in values(yamldecode(var.config_yaml).services) : s.team if length(try(s.emits, [])) > 0]))
    error_message = "emitting_teams lists the teams with a service that emits"
  }
}

run "rejects_an_s3_trigger_on_a_bucket_the_service_does_not_own" {
  command = plan

  variables {
    config_yaml = <<-YAML
      ${file("../../config/platform.yaml")}
        toy:
          team: billing
          description: A toy
          handler: lambdas.toy.handler.lambda_handler
          trigger: {type: s3, bucket: elsewhere}
    YAML
  }

  expect_failures = [output.services]
}
