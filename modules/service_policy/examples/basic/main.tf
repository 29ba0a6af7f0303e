# The statements of a queue-triggered service that emits events (provider-free: `terraform
# plan` shows them without AWS credentials).
module "policy" {
  source = "../.."

  service = {
    trigger     = { type = "queue" }
    emits       = ["orders.order_confirmed"]
    permissions = []
  }
  names = {
    tables         = { orders = "stockoss-dev-orders-orders" }
    buckets        = {}
    secrets        = {}
    inbox_queue    = "stockoss-dev-orders-saga-inbox"
    consumer_group = "stockoss-dev-orders-consumer-saga"
    api_key_secret = "stockoss-dev-orders-api-key"
  }
  arns = {
    partition            = "aws"
    region               = "eu-west-1"
    account_id           = "123456789012"
    kms_key              = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"
    team_queue           = "arn:aws:sqs:eu-west-1:123456789012:stockoss-dev-orders-events"
    ingest_api_execution = "arn:aws:execute-api:eu-west-1:123456789012:abc123"
  }
}

output "statements" {
  description = "The role's statements."
  value       = module.policy.statements
}
