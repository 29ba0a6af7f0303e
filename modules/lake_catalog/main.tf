# The Glue catalog definition of every athena/tables/*.json and the named
# queries of athena/, computed without any provider so that `terraform test`
# checks them offline. data_lake turns them into aws_glue_catalog_table and
# aws_athena_named_query resources.
#
# A table contract: name, description, bucket (zone, default curated),
# location_prefix, format (parquet | json), serde / serde_parameters (json),
# columns [{name, type, comment}], partition_keys [{name, type, comment,
# projection {type, values | values_from, range, format, interval,
# interval_unit, digits}}].
locals {
  table_files = fileset(var.athena_dir, "tables/*.json")
  contracts   = { for f in local.table_files : jsondecode(file("${var.athena_dir}/${f}")).name => jsondecode(file("${var.athena_dir}/${f}")) }

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

  locations = {
    for name, t in local.contracts : name => "s3://${lookup(var.buckets, try(t.bucket, "curated"), "unknown-zone")}/${trimsuffix(t.location_prefix, "/")}/"
  }

  # projection.<key>.<attribute>; Athena spells interval_unit as interval.unit.
  projection = {
    for name, t in local.contracts : name => merge([
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

  tables = {
    for name, t in local.contracts : name => {
      description = try(t.description, null)
      location    = local.locations[name]
      # A table the Glue job switches atomically: each partition location holds a manifest of its files.
      input_format  = try(t.partition_manifests, false) ? "org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat" : local.formats[t.format].input_format
      output_format = try(t.partition_manifests, false) ? "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat" : local.formats[t.format].output_format
      serde         = try(t.serde, local.formats[t.format].serde)
      serde_params  = try(t.serde_parameters, {})
      columns       = [for c in t.columns : { name = c.name, type = c.type, comment = try(c.comment, null) }]
      partition_keys = [
        for pk in t.partition_keys : { name = pk.name, type = pk.type, comment = try(pk.comment, null) }
      ]
      parameters = merge(
        {
          EXTERNAL                    = "TRUE"
          classification              = t.format
          "projection.enabled"        = "true"
          "storage.location.template" = "${local.locations[name]}${join("/", [for pk in t.partition_keys : "${pk.name}=$${${pk.name}}"])}/"
        },
        local.projection[name],
      )
    }
  }

  query_files = merge(
    { for f in fileset(var.athena_dir, "queries/*.sql") : trimsuffix(basename(f), ".sql") => f },
    { for f in fileset(var.athena_dir, "views/*.sql") : "view-${trimsuffix(basename(f), ".sql")}" => f },
  )
  queries = {
    for name, f in local.query_files : name => {
      sql = file("${var.athena_dir}/${f}")
      # The first `--` comment line, if any, describes the query.
      description = try(coalesce(substr(trimspace(trimprefix(split("\n", file("${var.athena_dir}/${f}"))[0], "--")), 0, 1024)), null)
    }
  }
  named_queries = merge([
    for team, workgroup in var.workgroups : {
      for name, q in local.queries : "${team}/${name}" => merge(q, { name = name, workgroup = workgroup })
    }
  ]...)

  checks = {
    for f in fileset(var.athena_dir, "checks/*.sql") : trimsuffix(basename(f), ".sql") => file("${var.athena_dir}/${f}")
  }
}
