-- Generated from athena/tables/rejected_events.json by `python -m glue_jobs.contract`; do not edit.
-- Events the ingest API rejected, one row per rejected event, curated by the Glue job from the rejected zone: the denominator of the ingestion error rate.
CREATE EXTERNAL TABLE IF NOT EXISTS rejected_events (
    `request_id` string COMMENT 'API request id',
    `event_index` int COMMENT 'Position of the event in the batch of the request',
    `event_id` string COMMENT 'event_id if the producer sent a readable one',
    `event_type` string COMMENT 'event_type if readable, else null',
    `received_at` timestamp COMMENT 'When the API received the request (UTC)',
    `correlation_id` string COMMENT 'End-to-end correlation id',
    `source_ip` string COMMENT 'Client address',
    `reason_count` int COMMENT 'Number of validation problems',
    `first_reason` string COMMENT '<path>: <message> of the first problem',
    `reasons_json` string COMMENT 'Every problem as a JSON array of {path, message}',
    `raw_json` string COMMENT 'The event as sent: its JSON text (a bare JSON string as its unquoted text)',
    `raw_object` string COMMENT 'Lineage: the rejected zone object'
)
PARTITIONED BY (`team` string, `event_date` string)
ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'
STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://${curated_bucket}/curated/rejected_events/'
TBLPROPERTIES (
    'projection.enabled' = 'true',
    'projection.team.type' = 'enum',
    'projection.team.values' = 'orders,billing,documents,notifications',
    'projection.event_date.type' = 'date',
    'projection.event_date.format' = 'yyyy-MM-dd',
    'projection.event_date.range' = '2024-01-01,NOW',
    'projection.event_date.interval' = '1',
    'projection.event_date.interval.unit' = 'DAYS',
    'storage.location.template' = 's3://${curated_bucket}/curated/rejected_events/team=${team}/event_date=${event_date}/',
    'parquet.compression' = 'ZSTD'
)
