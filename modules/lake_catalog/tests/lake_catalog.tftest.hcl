# The repository's table contracts, turned into Glue catalog definitions offline.
variables {
  athena_dir = "../../athena"
  teams      = ["orders", "billing", "documents"]
  buckets = {
    raw            = "stockoss-dev-raw-123456789012"
    rejected       = "stockoss-dev-rejected-123456789012"
    curated        = "stockoss-dev-curated-123456789012"
    athena_results = "stockoss-dev-athena-results-123456789012"
  }
  workgroups = {
    orders  = "stockoss-dev-orders-analytics"
    billing = "stockoss-dev-billing-analytics"
  }
}

run "events_table_uses_partition_projection" {
  command = plan

  assert {
    condition     = output.tables["events"].location == "s3://stockoss-dev-curated-123456789012/curated/events/"
    error_message = "events must live under curated/events/ of the curated bucket"
  }
  assert {
    condition     = output.tables["events"].parameters["storage.location.template"] == "s3://stockoss-dev-curated-123456789012/curated/events/team=$${team}/event_date=$${event_date}/"
    error_message = "storage.location.template must follow the curated layout team=<t>/event_date=<d>"
  }
  assert {
    condition     = output.tables["events"].parameters["projection.enabled"] == "true" && output.tables["events"].parameters["projection.team.values"] == "orders,billing,documents"
    error_message = "team projection must enumerate the configured teams"
  }
  assert {
    condition     = output.tables["events"].parameters["projection.event_date.interval.unit"] == "DAYS" && output.tables["events"].parameters["projection.event_date.type"] == "date"
    error_message = "interval_unit must become projection.<key>.interval.unit"
  }
  assert {
    condition     = output.tables["events"].serde == "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    error_message = "Parquet tables use the Parquet SerDe"
  }
  assert {
    condition     = join(",", [for pk in output.tables["events"].partition_keys : pk.name]) == "team,event_date"
    error_message = "partition keys in contract order"
  }
}

run "raw_events_reads_the_raw_zone_layout" {
  command = plan

  assert {
    condition     = output.tables["raw_events"].parameters["storage.location.template"] == "s3://stockoss-dev-raw-123456789012/raw/team=$${team}/dt=$${dt}/hour=$${hour}/"
    error_message = "raw_events must read raw/team=<t>/dt=<d>/hour=<hh>/ (platform_core/naming.py raw_key)"
  }
  assert {
    condition     = output.tables["raw_events"].parameters["projection.hour.digits"] == "2" && output.tables["raw_events"].parameters["projection.hour.range"] == "0,23"
    error_message = "hour projection is a 2-digit integer 00-23"
  }
  assert {
    condition     = output.tables["raw_events"].serde == "org.openx.data.jsonserde.JsonSerDe" && output.tables["raw_events"].input_format == "org.apache.hadoop.mapred.TextInputFormat"
    error_message = "JSON tables use the OpenX SerDe over text input"
  }
}

run "every_contract_becomes_a_table" {
  command = plan

  assert {
    condition     = length(output.tables) == length(fileset("../../athena", "tables/*.json"))
    error_message = "one table per athena/tables/*.json"
  }
  assert {
    condition     = length(output.named_queries) == 2 * length(output.queries)
    error_message = "every named query in every team workgroup"
  }
}

run "rejects_an_unknown_bucket_zone" {
  command = plan

  variables {
    buckets = { curated = "only-curated" }
  }

  expect_failures = [output.tables]
}
