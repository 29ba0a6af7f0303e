# --- Glue catalog tables from athena/tables/*.json (partition projection) -------------
# Each JSON file is the table contract shared with the Glue job and the local
# query engine: name, description, bucket (raw | rejected | curated),
# location_prefix, format (parquet | json), serde/serde_parameters, columns,
# partition_keys with their projection. No crawler, no MSCK REPAIR.
locals {
  table_files = fileset(var.athena_dir, "tables/*.json")
  tables      = { for f in local.table_files : jsondecode(file("${var.athena_dir}/${f}")).name => jsondecode(file("${var.athena_dir}/${f}")) }

  formats = {
    parquet = {
      input_format  = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
      output_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
      serde         = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    }
    json = {
      input_format  = "org.apache.hadoop.mapred.TextInputFormat"
      output_format = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
      serde         = "org.openx.data.jsonserde.JsonSerDe"
    }
  }

  table_locations = {
    for name, t in local.tables : name => "s3://${module.bucket[try(t.bucket, "curated")].id}/${trimsuffix(t.location_prefix, "/")}/"
  }

  # projection.<key>.<attribute>: attribute names use dots in Athena
  # (interval_unit -> interval.unit); values_from = "teams" expands to the teams.
  table_projection = {
    for name, t in local.tables : name => merge([
      for pk in t.partition_keys : merge(
        {
          for attr, value in try(pk.projection, {}) :
          "projection.${pk.name}.${replace(attr, "_", ".")}" => try(join(",", value), tostring(value))
          if attr != "values_from"
        },
        try(pk.projection.values_from, null) == "teams" ? { "projection.${pk.name}.values" = join(",", var.teams) } : {},
      )
    ]...)
  }
}

resource "aws_glue_catalog_table" "this" {
  for_each = local.tables

  name          = each.key
  database_name = var.glue_database
  description   = try(each.value.description, null)
  table_type    = "EXTERNAL_TABLE"

  parameters = merge(
    {
      EXTERNAL                    = "TRUE"
      classification              = each.value.format
      "projection.enabled"        = "true"
      "storage.location.template" = "${local.table_locations[each.key]}${join("/", [for pk in each.value.partition_keys : "${pk.name}=$${${pk.name}}"])}/"
    },
    local.table_projection[each.key],
  )

  dynamic "partition_keys" {
    for_each = each.value.partition_keys

    content {
      name    = partition_keys.value.name
      type    = partition_keys.value.type
      comment = try(partition_keys.value.comment, null)
    }
  }

  storage_descriptor {
    location      = local.table_locations[each.key]
    input_format  = local.formats[each.value.format].input_format
    output_format = local.formats[each.value.format].output_format

    ser_de_info {
      serialization_library = try(each.value.serde, local.formats[each.value.format].serde)
      parameters            = try(each.value.serde_parameters, {})
    }

    dynamic "columns" {
      for_each = each.value.columns

      content {
        name    = columns.value.name
        type    = columns.value.type
        comment = try(columns.value.comment, null)
      }
    }
  }
}

# --- Named queries: athena/queries/*.sql and athena/views/*.sql in every team workgroup
locals {
  query_files = merge(
    { for f in fileset(var.athena_dir, "queries/*.sql") : trimsuffix(basename(f), ".sql") => f },
    { for f in fileset(var.athena_dir, "views/*.sql") : "view-${trimsuffix(basename(f), ".sql")}" => f },
  )
  named_queries = merge([
    for team, workgroup in var.team_workgroups : {
      for name, f in local.query_files : "${team}/${name}" => { workgroup = workgroup, name = name, file = f }
    }
  ]...)
}

resource "aws_athena_named_query" "this" {
  for_each = local.named_queries

  name        = each.value.name
  workgroup   = each.value.workgroup
  database    = var.glue_database
  description = try(coalesce(substr(trimspace(trimprefix(split("\n", file("${var.athena_dir}/${each.value.file}"))[0], "--")), 0, 1024)), null)
  query       = file("${var.athena_dir}/${each.value.file}")
}
