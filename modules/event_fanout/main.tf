locals {
  function_timeout = 30
  msk              = var.kafka.mode == "msk"
}

# --- Queues ------------------------------------------------------------------------
# Every team queue and the Kafka outbox have a DLQ with redrive; the stream
# mapping's on-failure destination is a queue of its own.
locals {
  queue_pairs = merge(
    { for team, q in var.team_queues : team => q },
    { "kafka-outbox" = { queue = var.names.outbox_queue, dlq = var.names.outbox_dlq } },
  )
}

resource "aws_sqs_queue" "dlq" {
  for_each = local.queue_pairs

  name                              = each.value.dlq
  message_retention_seconds         = var.sqs.dlq_retention_seconds
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = 300
  tags                              = merge(var.tags, { Team = each.key })
}

resource "aws_sqs_queue" "main" {
  for_each = local.queue_pairs

  name                              = each.value.queue
  visibility_timeout_seconds        = var.sqs.visibility_timeout_seconds
  message_retention_seconds         = var.sqs.message_retention_seconds
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = 300
  tags                              = merge(var.tags, { Team = each.key })

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq[each.key].arn
    maxReceiveCount     = var.sqs.max_receive_count
  })

  lifecycle {
    precondition {
      condition     = var.sqs.visibility_timeout_seconds >= local.function_timeout
      error_message = "sqs.visibility_timeout_seconds must be at least the function timeout of the queues' consumers (${local.function_timeout} s)."
    }
  }
}

resource "aws_sqs_queue_redrive_allow_policy" "dlq" {
  for_each = local.queue_pairs

  queue_url = aws_sqs_queue.dlq[each.key].id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.main[each.key].arn]
  })
}

resource "aws_sqs_queue" "fanout_failures" {
  name                              = var.names.fanout_failure_queue
  message_retention_seconds         = var.sqs.dlq_retention_seconds
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = 300
  tags                              = var.tags
}

locals {
  all_queues = merge(
    { for k, q in aws_sqs_queue.main : "main/${k}" => q },
    { for k, q in aws_sqs_queue.dlq : "dlq/${k}" => q },
    { "fanout-failures" = aws_sqs_queue.fanout_failures },
  )
}

module "deny_insecure_transport" {
  source   = "../tls_only_policy"
  for_each = local.all_queues

  actions   = ["sqs:*"]
  resources = [each.value.arn]
}

data "aws_iam_policy_document" "queue_tls_only" {
  for_each = local.all_queues

  source_policy_documents = [module.deny_insecure_transport[each.key].json]

  # The team's services' EventBridge rules (SES feedback, mail.feedback) may put events on its queue.
  dynamic "statement" {
    for_each = startswith(each.key, "main/") && length(lookup(var.event_rule_senders, trimprefix(each.key, "main/"), [])) > 0 ? [var.event_rule_senders[trimprefix(each.key, "main/")]] : []

    content {
      sid       = "EventBridgeRulesOfTheTeamsServices"
      actions   = ["sqs:SendMessage"]
      resources = [each.value.arn]

      principals {
        type        = "Service"
        identifiers = ["events.amazonaws.com"]
      }

      condition {
        test     = "ArnEquals"
        variable = "aws:SourceArn"
        values   = statement.value
      }
    }
  }

  # The team's services' SNS topics (SMS events, sms.feedback) may put messages on its queue.
  dynamic "statement" {
    for_each = startswith(each.key, "main/") && length(lookup(var.topic_senders, trimprefix(each.key, "main/"), [])) > 0 ? [var.topic_senders[trimprefix(each.key, "main/")]] : []

    content {
      sid       = "SnsTopicsOfTheTeamsServices"
      actions   = ["sqs:SendMessage"]
      resources = [each.value.arn]

      principals {
        type        = "Service"
        identifiers = ["sns.amazonaws.com"]
      }

      condition {
        test     = "ArnEquals"
        variable = "aws:SourceArn"
        values   = statement.value
      }
    }
  }
}

resource "aws_sqs_queue_policy" "tls_only" {
  for_each = local.all_queues

  queue_url = each.value.id
  policy    = data.aws_iam_policy_document.queue_tls_only[each.key].json
}

# --- Fan-out: stream (INSERT only) -> team queues, outbox, raw zone ----------------
data "aws_iam_policy_document" "fanout" {
  statement {
    sid       = "ReadTheStream"
    actions   = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"]
    resources = [var.events_stream_arn]
  }

  statement {
    sid       = "SendToTeamQueuesAndOutbox"
    actions   = ["sqs:GetQueueUrl", "sqs:SendMessage"]
    resources = [for q in aws_sqs_queue.main : q.arn]
  }

  statement {
    sid       = "OnFailureDestination"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.fanout_failures.arn]
  }

  # A retried (or bisected) batch rewrites its raw objects and deletes the ones
  # an earlier attempt wrote but this one does not: see lambdas/fanout/sinks.py.
  statement {
    sid       = "WriteRawZone"
    actions   = ["s3:PutObject", "s3:DeleteObject"]
    resources = ["${var.raw_bucket_arn}/raw/*"]
  }

  # Without ListBucket, S3 answers a missing manifest with 403 instead of 404.
  statement {
    sid       = "FindBatchManifests"
    actions   = ["s3:ListBucket"]
    resources = [var.raw_bucket_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["manifests/fanout/*"]
    }
  }

  statement {
    sid       = "BatchManifests"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${var.raw_bucket_arn}/manifests/fanout/*"]
  }

  statement {
    sid       = "UseTheDataKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
}

module "fanout" {
  source = "../lambda_function"

  name                             = var.names.fanout_function
  description                      = "Events table stream (INSERT) -> team SQS queues, Kafka outbox, S3 raw zone"
  handler                          = "lambdas.fanout.handler.lambda_handler"
  artifact                         = var.artifacts["fanout"]
  layers                           = var.layers
  memory_size                      = 512
  timeout                          = 60
  reserved_concurrency             = var.fanout_reserved_concurrency
  tracing_mode                     = var.fanout_tracing_mode
  policy_json                      = data.aws_iam_policy_document.fanout.json
  kms_key_arn                      = var.kms_key_arn
  environment                      = merge(var.lambda_environment, { POWERTOOLS_SERVICE_NAME = "fanout" })
  log_retention_days               = var.log_retention_days
  log_subscription_destination_arn = var.log_subscription_destination_arn
  permissions_boundary_arn         = var.permissions_boundary_arn
  tags                             = var.tags
}

resource "aws_lambda_event_source_mapping" "fanout" {
  function_name                      = module.fanout.arn
  event_source_arn                   = var.events_stream_arn
  starting_position                  = "TRIM_HORIZON"
  batch_size                         = var.fanout.batch_size
  maximum_batching_window_in_seconds = var.fanout.batching_window_seconds
  parallelization_factor             = var.fanout.parallelization_factor
  maximum_retry_attempts             = var.fanout.maximum_retry_attempts
  bisect_batch_on_function_error     = var.fanout.bisect_batch_on_function_error
  function_response_types            = ["ReportBatchItemFailures"]
  tags                               = var.tags

  filter_criteria {
    filter {
      pattern = jsonencode({ eventName = ["INSERT"] })
    }
  }

  destination_config {
    on_failure {
      destination_arn = aws_sqs_queue.fanout_failures.arn
    }
  }
}

# --- Kafka bridge: outbox queue -> Kafka topics (idempotent producer) --------------
resource "aws_security_group" "kafka_bridge" {
  #checkov:skip=CKV2_AWS_5:Attached to the kafka-bridge function through module.kafka_bridge's vpc_config (checkov does not follow the module input).
  count = var.kafka_vpc == null ? 0 : 1

  name        = "${var.name_prefix}-kafka-bridge"
  description = "kafka-bridge Lambda: Kafka over TLS (IAM) to the MSK brokers only"
  vpc_id      = var.kafka_vpc.vpc_id
  tags        = merge(var.tags, { Name = "${var.name_prefix}-kafka-bridge" })
}

resource "aws_vpc_security_group_egress_rule" "kafka_bridge_to_msk" {
  count = var.kafka_vpc != null && local.msk ? 1 : 0

  security_group_id            = aws_security_group.kafka_bridge[0].id
  description                  = "Kafka SASL/IAM over TLS to the brokers"
  ip_protocol                  = "tcp"
  from_port                    = 9098
  to_port                      = 9098
  referenced_security_group_id = var.kafka.security_group_id
}

data "aws_iam_policy_document" "kafka_bridge" {
  statement {
    sid       = "ConsumeTheOutbox"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"]
    resources = [aws_sqs_queue.main["kafka-outbox"].arn]
  }

  statement {
    sid       = "UseTheDataKey"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }

  dynamic "statement" {
    for_each = local.msk ? [1] : []

    content {
      sid       = "ConnectToTheCluster"
      actions   = ["kafka-cluster:Connect", "kafka-cluster:DescribeCluster", "kafka-cluster:WriteDataIdempotently"]
      resources = [var.kafka.cluster_arn]
    }
  }

  dynamic "statement" {
    for_each = local.msk && length(var.kafka_topics) > 0 ? [1] : []

    content {
      sid       = "ProduceToPlatformTopics"
      actions   = ["kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"]
      resources = [for t in var.kafka_topics : "${var.kafka.topic_arn_prefix}/${t}"]
    }
  }
}

module "kafka_bridge" {
  source = "../lambda_function"

  name                 = var.names.kafka_bridge
  description          = "Kafka outbox queue -> Kafka topics <env>.<domain>.<event> (idempotent producer, partial batch failures)"
  handler              = "lambdas.kafka_bridge.handler.lambda_handler"
  artifact             = var.artifacts["kafka-bridge"]
  layers               = var.layers
  memory_size          = 512
  timeout              = local.function_timeout
  reserved_concurrency = var.kafka_bridge_reserved_concurrency
  policy_json          = data.aws_iam_policy_document.kafka_bridge.json
  kms_key_arn          = var.kms_key_arn
  environment = merge(var.lambda_environment, {
    POWERTOOLS_SERVICE_NAME = "kafka-bridge"
    KAFKA_BOOTSTRAP_SERVERS = var.kafka.bootstrap_servers
    KAFKA_SECURITY_PROTOCOL = var.kafka.security_protocol
  })
  vpc_config = var.kafka_vpc == null ? null : {
    subnet_ids         = var.kafka_vpc.subnet_ids
    security_group_ids = [aws_security_group.kafka_bridge[0].id]
  }
  log_retention_days               = var.log_retention_days
  log_subscription_destination_arn = var.log_subscription_destination_arn
  permissions_boundary_arn         = var.permissions_boundary_arn
  tags                             = var.tags
}

resource "aws_lambda_event_source_mapping" "kafka_bridge" {
  function_name                      = module.kafka_bridge.arn
  event_source_arn                   = aws_sqs_queue.main["kafka-outbox"].arn
  batch_size                         = var.sqs.consumer_batch_size
  maximum_batching_window_in_seconds = var.sqs.consumer_batch_size > 10 ? 1 : 0
  function_response_types            = ["ReportBatchItemFailures"]
  tags                               = var.tags

  scaling_config {
    maximum_concurrency = var.kafka_bridge_reserved_concurrency > 0 ? max(2, var.kafka_bridge_reserved_concurrency) : 10
  }
}
