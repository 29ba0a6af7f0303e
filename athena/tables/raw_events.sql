-- Generated from athena/tables/raw_events.json by `python -m glue_jobs.contract`; do not edit.
-- The raw zone as written by fan-out (gzip JSON lines, one stored envelope per line), for the data-quality checks that reconcile curated with raw. The payload is left out; malformed lines read as nulls.
CREATE EXTERNAL TABLE IF NOT EXISTS raw_events (
    `event_id` string COMMENT 'Producer-chosen UUID',
    `event_type` string COMMENT '<domain>.<name>',
    `schema_version` string COMMENT 'Payload schema version',
    `occurred_at` string COMMENT 'RFC 3339 with offset, as stored',
    `received_at` string COMMENT 'RFC 3339 (UTC), as stored',
    `source` string COMMENT 'Producing system',
    `ingest_id` string COMMENT 'API request id',
    `correlation_id` string COMMENT 'End-to-end correlation id'
)
PARTITIONED BY (`team` string, `dt` string, `hour` string)
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
WITH SERDEPROPERTIES ('ignore.malformed.json' = 'true')
STORED AS INPUTFORMAT 'org.apache.hadoop.mapred.TextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://${raw_bucket}/raw/'
TBLPROPERTIES (
    'projection.enabled' = 'true',
    'projection.team.type' = 'enum',
    'projection.team.values' = 'orders,billing,documents,notifications',
    'projection.dt.type' = 'date',
    'projection.dt.format' = 'yyyy-MM-dd',
    'projection.dt.range' = '2024-01-01,NOW',
    'projection.dt.interval' = '1',
    'projection.dt.interval.unit' = 'DAYS',
    'projection.hour.type' = 'integer',
    'projection.hour.range' = '0,23',
    'projection.hour.digits' = '2',
    'storage.location.template' = 's3://${raw_bucket}/raw/team=${team}/dt=${dt}/hour=${hour}/'
)
