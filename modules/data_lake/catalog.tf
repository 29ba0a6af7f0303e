# --- Glue catalog tables from athena/tables/*.json (partition projection) -------------
# The table contracts are turned into catalog definitions by the provider-free
# lake_catalog module (tested offline); no crawler, no MSCK REPAIR.
module "catalog" {
  source = "../lake_catalog"

  athena_dir = var.athena_dir
  teams      = var.teams
  buckets    = { for zone, b in module.bucket : zone => b.id }
  workgroups = var.team_workgroups
}

resource "aws_glue_catalog_table" "this" {
  for_each = module.catalog.tables

  name          = each.key
  database_name = var.glue_database
  description   = each.value.description
  table_type    = "EXTERNAL_TABLE"
  parameters    = each.value.parameters

  dynamic "partition_keys" {
    for_each = each.value.partition_keys

    content {
      name    = partition_keys.value.name
      type    = partition_keys.value.type
      comment = partition_keys.value.comment
    }
  }

  storage_descriptor {
    location      = each.value.location
    input_format  = each.value.input_format
    output_format = each.value.output_format

    ser_de_info {
      serialization_library = each.value.serde
      parameters            = each.value.serde_params
    }

    dynamic "columns" {
      for_each = each.value.columns

      content {
        name    = columns.value.name
        type    = columns.value.type
        comment = columns.value.comment
      }
    }
  }
}

# --- Named queries: athena/queries/*.sql and athena/views/*.sql in every team workgroup
resource "aws_athena_named_query" "this" {
  for_each = module.catalog.named_queries

  name        = each.value.name
  workgroup   = each.value.workgroup
  database    = var.glue_database
  description = each.value.description
  query       = each.value.sql
}
