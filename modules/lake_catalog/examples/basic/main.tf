terraform {
  required_version = ">= 1.10"
}

module "catalog" {
  source = "../.."

  athena_dir = "${path.module}/../../../../athena"
  teams      = ["orders", "billing"]
  buckets    = { raw = "stockoss-dev-raw", rejected = "stockoss-dev-rejected", curated = "stockoss-dev-curated" }
  workgroups = { orders = "stockoss-dev-orders-analytics" }
}

output "tables" {
  value = keys(module.catalog.tables)
}
