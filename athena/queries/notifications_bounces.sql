-- KPI: bounces and complaints per day (UTC), channel and kind over the last 30 days, with the share of
-- that day's sent messages on the channel (a permanent bounce or a complaint suppresses the address).
WITH sent AS (
    SELECT date_format(sent_at, '%Y-%m-%d') AS day, channel, count(*) AS sent
    FROM notification_deliveries
    WHERE sent_at >= current_date - INTERVAL '30' DAY
    GROUP BY date_format(sent_at, '%Y-%m-%d'), channel
)
SELECT
    date_format(d.sent_at, '%Y-%m-%d') AS day,
    d.channel,
    d.bounce_type,
    count(*) AS bounces,
    CAST(count(*) AS double) / max(s.sent) AS bounce_rate
FROM notification_deliveries AS d
JOIN sent AS s ON s.day = date_format(d.sent_at, '%Y-%m-%d') AND s.channel = d.channel
WHERE d.bounced_at IS NOT NULL
  AND d.sent_at >= current_date - INTERVAL '30' DAY
GROUP BY date_format(d.sent_at, '%Y-%m-%d'), d.channel, d.bounce_type
ORDER BY day, channel, bounce_type
