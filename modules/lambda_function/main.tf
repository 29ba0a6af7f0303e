# One Python Lambda function of the platform: execution role with the caller's
# least-privilege policy plus logs and X-Ray, a KMS-encrypted log group with
# retention (and a subscription to the central archive), X-Ray active tracing,
# KMS-encrypted environment variables, code from the artifacts bucket (a zip over
# the platform's layers) or a container image.
data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  image          = var.image_uri != null
  log_group_name = "/aws/lambda/${var.name}"
  log_group_arn  = "arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:log-group:${local.log_group_name}"
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "this" {
  name                 = var.name
  description          = "Execution role of the ${var.name} function"
  assume_role_policy   = data.aws_iam_policy_document.assume.json
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

data "aws_iam_policy_document" "runtime" {
  source_policy_documents = [var.policy_json]

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.log_group_arn}:*"]
  }

  statement {
    #checkov:skip=CKV_AWS_111:X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions.
    sid       = "XRayTracing"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }

  dynamic "statement" {
    for_each = var.vpc_config == null ? [] : [1]

    content {
      sid       = "VpcNetworkInterfaces"
      actions   = ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"]
      resources = ["*"]
    }
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "runtime"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.runtime.json
}

module "logs" {
  source = "../log_group"

  name                         = local.log_group_name
  retention_days               = var.log_retention_days
  kms_key_arn                  = var.kms_key_arn
  subscription_destination_arn = var.log_subscription_destination_arn
  tags                         = var.tags
}

moved {
  from = aws_cloudwatch_log_group.this
  to   = module.logs.aws_cloudwatch_log_group.this
}

moved {
  from = aws_cloudwatch_log_subscription_filter.this
  to   = module.logs.aws_cloudwatch_log_subscription_filter.this
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:Invoked synchronously (API Gateway) or by event source mappings, whose failures go to the mapping's on-failure destination or the queue's DLQ; an async DLQ would never receive anything.
  #checkov:skip=CKV_AWS_117:Only the Kafka bridge needs a VPC (to reach MSK) and gets one through vpc_config; the others call AWS APIs over TLS, and a VPC would need paid interface endpoints.
  #checkov:skip=CKV_AWS_272:Code signing needs AWS Signer profiles per artifact; artifacts are reproducible builds addressed by SHA-256 in a private, versioned bucket instead.
  #checkov:skip=CKV_AWS_115:Reserved concurrency is set per function by the caller (reserved_concurrency); -1 is only used where a cap would throttle the ingest path.
  function_name                  = var.name
  description                    = var.description
  role                           = aws_iam_role.this.arn
  package_type                   = local.image ? "Image" : "Zip"
  handler                        = local.image ? null : var.handler
  runtime                        = local.image ? null : var.runtime
  architectures                  = [var.architecture]
  memory_size                    = var.memory_size
  timeout                        = var.timeout
  reserved_concurrent_executions = var.reserved_concurrency
  s3_bucket                      = try(var.artifact.s3_bucket, null)
  s3_key                         = try(var.artifact.s3_key, null)
  s3_object_version              = try(var.artifact.s3_object_version, null)
  source_code_hash               = try(var.artifact.source_code_hash, null)
  image_uri                      = var.image_uri
  layers                         = local.image ? null : var.layers
  kms_key_arn                    = var.kms_key_arn
  tags                           = var.tags

  # An image carries its own runtime; the handler is its command.
  dynamic "image_config" {
    for_each = local.image ? [var.handler] : []

    content {
      command = [image_config.value]
    }
  }

  environment {
    variables = var.environment
  }

  tracing_config {
    mode = var.tracing_mode
  }

  logging_config {
    log_format = "Text"
    log_group  = module.logs.name
  }

  dynamic "vpc_config" {
    for_each = var.vpc_config == null ? [] : [var.vpc_config]

    content {
      subnet_ids         = vpc_config.value.subnet_ids
      security_group_ids = vpc_config.value.security_group_ids
    }
  }

  depends_on = [aws_iam_role_policy.this]
}
