# The environment's health picture (a CloudWatch dashboard) and the alarms to
# the alert topic: any message in a DLQ, stream iterator age, API 5xx
# rate and p95 latency, Lambda errors, Kafka bridge failures, Glue job failure
# through EventBridge.
locals {
  api_dims = { for k, api in var.apis : k => ["ApiName", api.name, "Stage", api.stage] }
  ns       = var.metrics_namespace

  widgets = [
    {
      type = "metric", x = 0, y = 0, width = 12, height = 6
      properties = {
        title  = "API requests and errors"
        region = var.region
        stat   = "Sum"
        period = 60
        metrics = flatten([
          for k, dims in local.api_dims : [
            concat(["AWS/ApiGateway", "Count"], dims, [{ label = "${k} requests" }]),
            concat(["AWS/ApiGateway", "4XXError"], dims, [{ label = "${k} 4xx" }]),
            concat(["AWS/ApiGateway", "5XXError"], dims, [{ label = "${k} 5xx" }]),
          ]
        ])
      }
    },
    {
      type = "metric", x = 12, y = 0, width = 12, height = 6
      properties = {
        title  = "API latency (ms)"
        region = var.region
        period = 60
        metrics = flatten([
          for k, dims in local.api_dims : [
            concat(["AWS/ApiGateway", "Latency"], dims, [{ stat = "p50", label = "${k} p50" }]),
            concat(["AWS/ApiGateway", "Latency"], dims, [{ stat = "p95", label = "${k} p95" }]),
            concat(["AWS/ApiGateway", "Latency"], dims, [{ stat = "p99", label = "${k} p99" }]),
            concat(["AWS/ApiGateway", "IntegrationLatency"], dims, [{ stat = "p95", label = "${k} integration p95" }]),
          ]
        ])
        annotations = { horizontal = [{ label = "target", value = var.thresholds.api_p95_latency_ms }] }
      }
    },
    {
      type = "metric", x = 0, y = 6, width = 12, height = 6
      properties = {
        title  = "Events by verdict and team"
        region = var.region
        period = 300
        metrics = [
          [{ expression = "SEARCH('{${local.ns},event_type,service,team} MetricName=\"accepted\"', 'Sum', 300)", id = "accepted", label = "accepted" }],
          [{ expression = "SEARCH('{${local.ns},event_type,service,team} MetricName=\"duplicate\"', 'Sum', 300)", id = "duplicate", label = "duplicate" }],
          [{ expression = "SEARCH('{${local.ns},event_type,service,team} MetricName=\"rejected\"', 'Sum', 300)", id = "rejected", label = "rejected" }],
        ]
      }
    },
    {
      type = "metric", x = 12, y = 6, width = 12, height = 6
      properties = {
        title  = "Stream iterator age (ms) and fan-out errors"
        region = var.region
        period = 60
        metrics = [
          ["AWS/Lambda", "IteratorAge", "FunctionName", var.functions[var.stream_function], { stat = "Maximum" }],
          ["AWS/Lambda", "Errors", "FunctionName", var.functions[var.stream_function], { stat = "Sum", yAxis = "right" }],
          [local.ns, "RecordsToRetry", "service", "fanout", { stat = "Sum", yAxis = "right" }],
        ]
        annotations = { horizontal = [{ label = "alarm", value = var.thresholds.iterator_age_ms }] }
      }
    },
    {
      type = "metric", x = 0, y = 12, width = 12, height = 6
      properties = {
        title   = "Queue depth"
        region  = var.region
        stat    = "Maximum"
        period  = 60
        metrics = [for k, q in var.queues : ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", q, { label = k }]]
      }
    },
    {
      type = "metric", x = 12, y = 12, width = 12, height = 6
      properties = {
        title   = "Dead-letter queues (should stay at 0)"
        region  = var.region
        stat    = "Maximum"
        period  = 60
        metrics = [for k, q in var.dead_letter_queues : ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", q, { label = k }]]
      }
    },
    {
      type = "metric", x = 0, y = 18, width = 12, height = 6
      properties = {
        title  = "Kafka bridge"
        region = var.region
        stat   = "Sum"
        period = 60
        metrics = [
          [local.ns, "MessagesProduced", "service", "kafka-bridge"],
          [local.ns, "MessagesNotProduced", "service", "kafka-bridge"],
          ["AWS/Lambda", "Errors", "FunctionName", var.functions["kafka-bridge"]],
        ]
      }
    },
    {
      type = "metric", x = 12, y = 18, width = 12, height = 6
      properties = {
        title   = "Lambda errors and throttles"
        region  = var.region
        stat    = "Sum"
        period  = 300
        metrics = flatten([for k, f in var.functions : [["AWS/Lambda", "Errors", "FunctionName", f, { label = "${k} errors" }], ["AWS/Lambda", "Throttles", "FunctionName", f, { label = "${k} throttles" }]]])
      }
    },
    {
      type = "metric", x = 0, y = 24, width = 12, height = 6
      properties = {
        title  = "Lake: Glue job runs and duration"
        region = var.region
        period = 3600
        metrics = concat(
          [
            ["Glue", "glue.driver.aggregate.elapsedTime", "JobName", var.glue_job_name, "JobRunId", "ALL", "Type", "count", { stat = "Maximum", label = "elapsed ms" }],
            ["Glue", "glue.driver.aggregate.numFailedTasks", "JobName", var.glue_job_name, "JobRunId", "ALL", "Type", "count", { stat = "Sum", yAxis = "right" }],
          ],
          var.state_machine_arn == null ? [] : [
            ["AWS/States", "ExecutionsSucceeded", "StateMachineArn", var.state_machine_arn, { stat = "Sum", yAxis = "right" }],
            ["AWS/States", "ExecutionsFailed", "StateMachineArn", var.state_machine_arn, { stat = "Sum", yAxis = "right" }],
          ],
        )
      }
    },
    {
      type = "metric", x = 12, y = 24, width = 12, height = 6
      properties = {
        title   = "Athena bytes scanned per workgroup"
        region  = var.region
        stat    = "Sum"
        period  = 3600
        metrics = [for k, w in var.athena_workgroups : ["AWS/Athena", "ProcessedBytes", "QueryState", "SUCCEEDED", "QueryType", "DML", "WorkGroup", w, { label = k }]]
      }
    },
  ]
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.name_prefix
  dashboard_body = jsonencode({ widgets = local.widgets })
}

# --- Alarms (config environments.<env>.alarms_enabled) ------------------------------------
# Every alarm is one entry of this map: its name suffix => the metric (or, with `expression`,
# the metric math over `metrics`), the statistic, the evaluation window and the threshold.
# An alarm fires above its threshold and treats missing data as fine (no traffic is no fault).
# The entries differ in shape (math or not), so the alarms iterate over the map's keys.
locals {
  alarm_defaults = {
    namespace           = null
    metric_name         = null
    dimensions          = null
    statistic           = null
    extended_statistic  = null
    period              = 300
    evaluation_periods  = 1
    datapoints_to_alarm = null
    threshold           = 0
    expression          = null
    metrics             = {}
  }

  alarms = merge(
    {
      for k, q in var.dead_letter_queues : "${k}-not-empty" => merge(local.alarm_defaults, {
        description = "A message reached ${q}: an event could not be delivered (redrive it after fixing the cause)."
        namespace   = "AWS/SQS"
        metric_name = "ApproximateNumberOfMessagesVisible"
        dimensions  = { QueueName = q }
        statistic   = "Maximum"
      })
    },
    {
      for k, f in var.functions : "${k}-errors" => merge(local.alarm_defaults, {
        description = "The ${f} function failed invocations."
        namespace   = "AWS/Lambda"
        metric_name = "Errors"
        dimensions  = { FunctionName = f }
        statistic   = "Sum"
      })
    },
    merge([
      for k, api in var.apis : {
        "${k}-api-5xx-rate" = merge(local.alarm_defaults, {
          description         = "More than ${var.thresholds.api_5xx_percent}% of the ${api.name} requests answered 5xx."
          evaluation_periods  = 3
          datapoints_to_alarm = 2
          threshold           = var.thresholds.api_5xx_percent
          expression          = "IF(requests > 0, 100 * errors / requests, 0)"
          metrics = {
            errors   = { namespace = "AWS/ApiGateway", metric_name = "5XXError", dimensions = { ApiName = api.name, Stage = api.stage }, stat = "Sum" }
            requests = { namespace = "AWS/ApiGateway", metric_name = "Count", dimensions = { ApiName = api.name, Stage = api.stage }, stat = "Sum" }
          }
        })
        "${k}-api-p95-latency" = merge(local.alarm_defaults, {
          description         = "p95 latency of ${api.name} above ${var.thresholds.api_p95_latency_ms} ms."
          namespace           = "AWS/ApiGateway"
          metric_name         = "Latency"
          dimensions          = { ApiName = api.name, Stage = api.stage }
          extended_statistic  = "p95"
          evaluation_periods  = 3
          datapoints_to_alarm = 2
          threshold           = var.thresholds.api_p95_latency_ms
        })
      }
    ]...),
    {
      stream-iterator-age = merge(local.alarm_defaults, {
        description         = "The fan-out is more than ${var.thresholds.iterator_age_ms / 1000} s behind the events table stream."
        namespace           = "AWS/Lambda"
        metric_name         = "IteratorAge"
        dimensions          = { FunctionName = var.functions[var.stream_function] }
        statistic           = "Maximum"
        period              = 60
        evaluation_periods  = 3
        datapoints_to_alarm = 2
        threshold           = var.thresholds.iterator_age_ms
      })
      kafka-bridge-not-produced = merge(local.alarm_defaults, {
        description        = "The kafka-bridge could not produce messages to Kafka (they are retried, then land in the outbox DLQ)."
        namespace          = var.metrics_namespace
        metric_name        = "MessagesNotProduced"
        dimensions         = { service = "kafka-bridge" }
        statistic          = "Sum"
        evaluation_periods = 2
      })
    },
  )
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = var.alarms_enabled ? toset(keys(local.alarms)) : toset([])

  alarm_name          = "${var.name_prefix}-${each.key}"
  alarm_description   = local.alarms[each.key].description
  namespace           = local.alarms[each.key].namespace
  metric_name         = local.alarms[each.key].metric_name
  dimensions          = local.alarms[each.key].dimensions
  statistic           = local.alarms[each.key].statistic
  extended_statistic  = local.alarms[each.key].extended_statistic
  period              = local.alarms[each.key].expression == null ? local.alarms[each.key].period : null
  evaluation_periods  = local.alarms[each.key].evaluation_periods
  datapoints_to_alarm = local.alarms[each.key].datapoints_to_alarm
  threshold           = local.alarms[each.key].threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alert_topic_arn]
  ok_actions          = [var.alert_topic_arn]
  tags                = var.tags

  dynamic "metric_query" {
    for_each = local.alarms[each.key].expression == null ? {} : { result = local.alarms[each.key].expression }

    content {
      id          = metric_query.key
      expression  = metric_query.value
      label       = each.key
      return_data = true
    }
  }

  dynamic "metric_query" {
    for_each = local.alarms[each.key].metrics

    content {
      id = metric_query.key

      metric {
        namespace   = metric_query.value.namespace
        metric_name = metric_query.value.metric_name
        dimensions  = metric_query.value.dimensions
        period      = local.alarms[each.key].period
        stat        = metric_query.value.stat
      }
    }
  }
}

# --- Glue job failure, through EventBridge (also without Step Functions) -----------------
resource "aws_cloudwatch_event_rule" "glue_job_failed" {
  count = var.alarms_enabled ? 1 : 0

  name        = "${var.name_prefix}-glue-job-failed"
  description = "The lake's Glue job failed, timed out or errored"
  event_pattern = jsonencode({
    source        = ["aws.glue"]
    "detail-type" = ["Glue Job State Change"]
    detail = {
      jobName = [var.glue_job_name]
      state   = ["FAILED", "TIMEOUT", "ERROR"]
    }
  })
  tags = var.tags
}

resource "aws_cloudwatch_event_target" "glue_job_failed" {
  count = var.alarms_enabled ? 1 : 0

  rule      = aws_cloudwatch_event_rule.glue_job_failed[0].name
  target_id = "alerts"
  arn       = var.alert_topic_arn

  input_transformer {
    input_paths = {
      job   = "$.detail.jobName"
      run   = "$.detail.jobRunId"
      state = "$.detail.state"
      msg   = "$.detail.message"
    }
    input_template = "\"Glue job <job> run <run> ended <state>: <msg>\""
  }
}
