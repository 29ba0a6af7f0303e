-- Generated from athena/tables/events.json by `python -m glue_jobs.contract`; do not edit.
-- Accepted events, deduplicated on (team, event_id), flattened from the envelope; the payload kept as JSON and its common StockOSS fields as typed columns.
CREATE EXTERNAL TABLE IF NOT EXISTS events (
    `event_id` string COMMENT 'Producer-chosen UUID, unique per team',
    `event_type` string COMMENT '<domain>.<name>',
    `schema_version` string COMMENT 'Payload schema version',
    `domain` string COMMENT 'First part of event_type',
    `occurred_at` timestamp COMMENT 'Producer time (UTC)',
    `received_at` timestamp COMMENT 'Platform time (UTC)',
    `source` string COMMENT 'Producing system',
    `ingest_id` string COMMENT 'API request id',
    `correlation_id` string COMMENT 'End-to-end correlation id',
    `order_id` string COMMENT 'payload.order_id',
    `customer_id` string COMMENT 'payload.customer_id',
    `amount` decimal(18, 4) COMMENT 'The money amount of the event: payload.total (orders, invoices), payload.amount (invoice requests) or payload.refund (cancellations)',
    `currency` string COMMENT 'ISO 4217 code of amount',
    `line_count` int COMMENT 'Number of order or reservation lines (payload.lines)',
    `document_type` string COMMENT 'payload.document_type',
    `size_bytes` bigint COMMENT 'payload.size_bytes',
    `payload_json` string COMMENT 'The whole payload as JSON',
    `event_bytes` int COMMENT 'Size of the stored envelope in bytes (its raw JSON line, UTF-8)',
    `raw_object` string COMMENT 'Lineage: the raw zone object the event was curated from'
)
PARTITIONED BY (`team` string, `event_date` string)
ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'
STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://${curated_bucket}/curated/events/'
TBLPROPERTIES (
    'projection.enabled' = 'true',
    'projection.team.type' = 'enum',
    'projection.team.values' = 'orders,billing,documents,notifications',
    'projection.event_date.type' = 'date',
    'projection.event_date.format' = 'yyyy-MM-dd',
    'projection.event_date.range' = '2024-01-01,NOW',
    'projection.event_date.interval' = '1',
    'projection.event_date.interval.unit' = 'DAYS',
    'storage.location.template' = 's3://${curated_bucket}/curated/events/team=${team}/event_date=${event_date}/',
    'parquet.compression' = 'ZSTD'
)
