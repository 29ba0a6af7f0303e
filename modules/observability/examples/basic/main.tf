terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }
}

provider "aws" {
  region = "eu-west-1"
}

module "observability" {
  source = "../.."

  name_prefix        = "stockoss-staging"
  region             = "eu-west-1"
  metrics_namespace  = "stockoss"
  alarms_enabled     = true
  alert_topic_arn    = "arn:aws:sns:eu-west-1:123456789012:stockoss-staging-alerts"
  apis               = { ingestion = { name = "stockoss-staging-ingestion-api", stage = "live" } }
  functions          = { ingest = "stockoss-staging-ingest", fanout = "stockoss-staging-fanout", kafka-bridge = "stockoss-staging-kafka-bridge" }
  queues             = { orders = "stockoss-staging-orders-events", kafka-outbox = "stockoss-staging-kafka-outbox" }
  dead_letter_queues = { orders-dlq = "stockoss-staging-orders-events-dlq", fanout-failures = "stockoss-staging-fanout-failures" }
  glue_job_name      = "stockoss-staging-raw-to-curated"
  athena_workgroups  = { orders = "stockoss-staging-orders-analytics" }
}
