-- One row per delivery (a notification on one channel) from the notifications team's outcome events:
-- what asked for it, when it was requested, sent, delivered, bounced, failed or skipped, through which
-- provider, after how many attempts, and why it failed or was skipped.
CREATE OR REPLACE VIEW notification_deliveries AS
SELECT
    json_extract_scalar(payload_json, '$.delivery_id') AS delivery_id,
    max(json_extract_scalar(payload_json, '$.notification_id')) AS notification_id,
    max(json_extract_scalar(payload_json, '$.channel')) AS channel,
    max(json_extract_scalar(payload_json, '$.template')) AS template,
    max(json_extract_scalar(payload_json, '$.cause')) AS cause,
    max(json_extract_scalar(payload_json, '$.customer_id')) AS customer_id,
    min(CAST(from_iso8601_timestamp(json_extract_scalar(payload_json, '$.requested_at')) AS timestamp))
        AS requested_at,
    min(CASE WHEN event_type = 'notifications.notification_sent'
        THEN CAST(from_iso8601_timestamp(json_extract_scalar(payload_json, '$.sent_at')) AS timestamp) END)
        AS sent_at,
    min(CASE WHEN event_type = 'notifications.notification_delivered'
        THEN CAST(from_iso8601_timestamp(json_extract_scalar(payload_json, '$.delivered_at')) AS timestamp) END)
        AS delivered_at,
    min(CASE WHEN event_type = 'notifications.notification_bounced'
        THEN CAST(from_iso8601_timestamp(json_extract_scalar(payload_json, '$.bounced_at')) AS timestamp) END)
        AS bounced_at,
    min(CASE WHEN event_type = 'notifications.notification_failed'
        THEN CAST(from_iso8601_timestamp(json_extract_scalar(payload_json, '$.failed_at')) AS timestamp) END)
        AS failed_at,
    min(CASE WHEN event_type = 'notifications.notification_skipped'
        THEN CAST(from_iso8601_timestamp(json_extract_scalar(payload_json, '$.skipped_at')) AS timestamp) END)
        AS skipped_at,
    max(CASE WHEN event_type = 'notifications.notification_sent'
        THEN json_extract_scalar(payload_json, '$.provider') END) AS provider,
    max(CASE WHEN event_type = 'notifications.notification_sent'
        THEN CAST(json_extract_scalar(payload_json, '$.attempts') AS bigint) END) AS attempts,
    max(CASE WHEN event_type IN ('notifications.notification_failed', 'notifications.notification_skipped')
        THEN json_extract_scalar(payload_json, '$.reason') END) AS reason,
    max(CASE WHEN event_type = 'notifications.notification_bounced'
        THEN json_extract_scalar(payload_json, '$.bounce_type') END) AS bounce_type
FROM events
WHERE team = 'notifications'
  AND event_type IN (
      'notifications.notification_sent',
      'notifications.notification_delivered',
      'notifications.notification_bounced',
      'notifications.notification_failed',
      'notifications.notification_skipped'
  )
GROUP BY json_extract_scalar(payload_json, '$.delivery_id')
