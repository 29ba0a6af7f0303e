-- Generated from athena/tables/quarantined_events.json by `python -m glue_jobs.contract`; do not edit.
-- Raw lines the Glue job could not curate (not JSON, invalid envelope, ...), with the reasons: nothing is dropped silently.
CREATE EXTERNAL TABLE IF NOT EXISTS quarantined_events (
    `raw_object` string COMMENT 'The raw zone object',
    `event_id` string COMMENT 'event_id if one could be read',
    `event_type` string COMMENT 'event_type if one could be read',
    `reasons` array<string> COMMENT 'Why the line was not curated',
    `raw_line` string COMMENT 'The line as stored',
    `run_id` string COMMENT 'The job run that quarantined it'
)
PARTITIONED BY (`team` string, `dt` string)
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
WITH SERDEPROPERTIES ('ignore.malformed.json' = 'true')
STORED AS INPUTFORMAT 'org.apache.hadoop.mapred.TextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://${curated_bucket}/quarantine/events/'
TBLPROPERTIES (
    'projection.enabled' = 'true',
    'projection.team.type' = 'enum',
    'projection.team.values' = 'orders,billing,documents,notifications',
    'projection.dt.type' = 'date',
    'projection.dt.format' = 'yyyy-MM-dd',
    'projection.dt.range' = '2024-01-01,NOW',
    'projection.dt.interval' = '1',
    'projection.dt.interval.unit' = 'DAYS',
    'storage.location.template' = 's3://${curated_bucket}/quarantine/events/team=${team}/dt=${dt}/'
)
