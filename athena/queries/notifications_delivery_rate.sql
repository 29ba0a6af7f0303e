-- KPI: per channel over the last 7 days (by request time, UTC): deliveries, how they ended, the share
-- sent of those not skipped, and the share the provider reported delivered of those sent (e-mail and
-- SMS report deliveries; push, webhooks and the inbox end at sent).
SELECT
    channel,
    count(*) AS deliveries,
    count(sent_at) AS sent,
    count(delivered_at) AS delivered,
    count(bounced_at) AS bounced,
    count(failed_at) AS failed,
    count(skipped_at) AS skipped,
    CAST(count(sent_at) AS double) / nullif(count(*) - count(skipped_at), 0) AS sent_rate,
    CAST(count(delivered_at) AS double) / nullif(count(sent_at), 0) AS delivery_rate
FROM notification_deliveries
WHERE requested_at >= current_date - INTERVAL '7' DAY
GROUP BY channel
ORDER BY channel
