# The environment's health picture (a CloudWatch dashboard) and the alarms to
# the alert topic (issue 6): any message in a DLQ, stream iterator age, API 5xx
# rate and p95 latency, Lambda errors, Kafka bridge failures, Glue job failure
# through EventBridge.
locals {
  api_dims = ["ApiName", var.api.name, "Stage", var.api.stage]
  ns       = var.metrics_namespace

  widgets = [
    {
      type = "metric", x = 0, y = 0, width = 12, height = 6
      properties = {
        title   = "API requests and errors"
        region  = var.region
        stat    = "Sum"
        period  = 60
        metrics = [concat(["AWS/ApiGateway", "Count"], local.api_dims), concat(["AWS/ApiGateway", "4XXError"], local.api_dims), concat(["AWS/ApiGateway", "5XXError"], local.api_dims)]
      }
    },
    {
      type = "metric", x = 12, y = 0, width = 12, height = 6
      properties = {
        title  = "API latency (ms)"
        region = var.region
        period = 60
        metrics = [
          concat(["AWS/ApiGateway", "Latency"], local.api_dims, [{ stat = "p50" }]),
          concat(["AWS/ApiGateway", "Latency"], local.api_dims, [{ stat = "p95" }]),
          concat(["AWS/ApiGateway", "Latency"], local.api_dims, [{ stat = "p99" }]),
          concat(["AWS/ApiGateway", "IntegrationLatency"], local.api_dims, [{ stat = "p95" }]),
        ]
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
          ["AWS/Lambda", "Errors", "FunctionName", var.functions["kafka_bridge"]],
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
locals {
  alarm_actions = [var.alert_topic_arn]
}

resource "aws_cloudwatch_metric_alarm" "dlq_not_empty" {
  for_each = var.alarms_enabled ? var.dead_letter_queues : {}

  alarm_name          = "${var.name_prefix}-${each.key}-not-empty"
  alarm_description   = "A message reached ${each.value}: an event could not be delivered (redrive it after fixing the cause)."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = each.value }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "iterator_age" {
  count = var.alarms_enabled ? 1 : 0

  alarm_name          = "${var.name_prefix}-stream-iterator-age"
  alarm_description   = "The fan-out is more than ${var.thresholds.iterator_age_ms / 1000} s behind the events table stream."
  namespace           = "AWS/Lambda"
  metric_name         = "IteratorAge"
  dimensions          = { FunctionName = var.functions[var.stream_function] }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  threshold           = var.thresholds.iterator_age_ms
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "api_5xx_rate" {
  count = var.alarms_enabled ? 1 : 0

  alarm_name          = "${var.name_prefix}-api-5xx-rate"
  alarm_description   = "More than ${var.thresholds.api_5xx_percent}% of API requests answered 5xx."
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  threshold           = var.thresholds.api_5xx_percent
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags

  metric_query {
    id          = "rate"
    expression  = "IF(requests > 0, 100 * errors / requests, 0)"
    label       = "5xx %"
    return_data = true
  }

  metric_query {
    id = "errors"

    metric {
      namespace   = "AWS/ApiGateway"
      metric_name = "5XXError"
      dimensions  = { ApiName = var.api.name, Stage = var.api.stage }
      period      = 300
      stat        = "Sum"
    }
  }

  metric_query {
    id = "requests"

    metric {
      namespace   = "AWS/ApiGateway"
      metric_name = "Count"
      dimensions  = { ApiName = var.api.name, Stage = var.api.stage }
      period      = 300
      stat        = "Sum"
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "api_p95_latency" {
  count = var.alarms_enabled ? 1 : 0

  alarm_name          = "${var.name_prefix}-api-p95-latency"
  alarm_description   = "p95 API latency above ${var.thresholds.api_p95_latency_ms} ms (ingestion target)."
  namespace           = "AWS/ApiGateway"
  metric_name         = "Latency"
  dimensions          = { ApiName = var.api.name, Stage = var.api.stage }
  extended_statistic  = "p95"
  period              = 300
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  threshold           = var.thresholds.api_p95_latency_ms
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "function_errors" {
  for_each = var.alarms_enabled ? var.functions : {}

  alarm_name          = "${var.name_prefix}-${each.key}-errors"
  alarm_description   = "The ${each.value} function failed invocations."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = each.value }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "kafka_bridge_failures" {
  count = var.alarms_enabled ? 1 : 0

  alarm_name          = "${var.name_prefix}-kafka-bridge-not-produced"
  alarm_description   = "The kafka-bridge could not produce messages to Kafka (they are retried, then land in the outbox DLQ)."
  namespace           = var.metrics_namespace
  metric_name         = "MessagesNotProduced"
  dimensions          = { service = "kafka-bridge" }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 2
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
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
