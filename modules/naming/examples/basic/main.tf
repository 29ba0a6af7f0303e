terraform {
  required_version = ">= 1.10"
}

module "naming" {
  source = "../.."

  project     = "stockoss"
  environment = "dev"
  teams       = ["orders", "billing"]
  event_types = ["orders.order_created"]
  account_id  = "123456789012"
}

output "events_table" {
  value = module.naming.shared.events_table
}

output "raw_bucket" {
  value = module.naming.buckets.raw
}

output "topics" {
  value = module.naming.topics
}
