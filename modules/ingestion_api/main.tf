data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  partition = data.aws_partition.current.partition
}

# --- The events table: the idempotency record and the source of the stream -----
resource "aws_dynamodb_table" "events" {
  #checkov:skip=CKV2_AWS_16:On-demand (PAY_PER_REQUEST) capacity scales by itself; auto scaling applies to provisioned tables only.
  name                        = var.names.events_table
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "pk"
  stream_enabled              = true
  stream_view_type            = "NEW_IMAGE"
  deletion_protection_enabled = var.deletion_protection
  tags                        = var.tags

  attribute {
    name = "pk"
    type = "S"
  }

  ttl {
    attribute_name = var.ttl_attribute
    enabled        = true
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }
}

# --- API keys (one per team); the ingest Lambda maps a key id to its team -------
resource "aws_api_gateway_api_key" "team" {
  for_each = var.teams

  name        = var.team_api_key_names[each.key]
  description = "Ingestion API key of team ${each.key}"
  enabled     = true
  tags        = merge(var.tags, { Team = each.key })
}

# --- The ingest function ------------------------------------------------------------
data "aws_iam_policy_document" "ingest" {
  statement {
    sid       = "WriteEvents"
    actions   = ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem"]
    resources = [aws_dynamodb_table.events.arn]
  }

  statement {
    sid       = "WriteRejectedZone"
    actions   = ["s3:PutObject"]
    resources = ["${var.rejected_bucket_arn}/rejected/*"]
  }

  statement {
    sid       = "UseTheDataKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
}

module "function" {
  source = "../lambda_function"

  name                 = var.names.ingest_function
  description          = "Validates events, resolves the team from the API key, writes them idempotently (POST /v1/events, GET /v1/schemas)"
  handler              = var.handler
  artifact             = var.artifact
  layers               = var.layers
  memory_size          = var.memory_size
  timeout              = 29 # API Gateway's integration timeout
  reserved_concurrency = var.reserved_concurrency
  policy_json          = data.aws_iam_policy_document.ingest.json
  kms_key_arn          = var.kms_key_arn
  environment = merge(var.lambda_environment, {
    POWERTOOLS_SERVICE_NAME = "ingest"
    API_KEY_TEAMS           = jsonencode({ for team, key in aws_api_gateway_api_key.team : key.id => team })
  })
  log_retention_days               = var.log_retention_days
  log_subscription_destination_arn = var.log_subscription_destination_arn
  permissions_boundary_arn         = var.permissions_boundary_arn
  tags                             = var.tags
}

# --- REST API: POST /v1/events, GET /v1/schemas, GET /v1/schemas/{event_type} ----
resource "aws_api_gateway_rest_api" "this" {
  name           = var.names.api
  description    = "${var.name_prefix} event ingestion API (API key per team)"
  api_key_source = "HEADER"
  tags           = var.tags

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_resource" "v1" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = "v1"
}

resource "aws_api_gateway_resource" "events" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.v1.id
  path_part   = "events"
}

resource "aws_api_gateway_resource" "schemas" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.v1.id
  path_part   = "schemas"
}

resource "aws_api_gateway_resource" "schema" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.schemas.id
  path_part   = "{event_type}"
}

locals {
  routes = {
    post_events = { resource_id = aws_api_gateway_resource.events.id, method = "POST", path = "v1/events", params = {} }
    get_schemas = { resource_id = aws_api_gateway_resource.schemas.id, method = "GET", path = "v1/schemas", params = {} }
    get_schema  = { resource_id = aws_api_gateway_resource.schema.id, method = "GET", path = "v1/schemas/*", params = { "method.request.path.event_type" = true } }
  }
}

resource "aws_api_gateway_method" "this" {
  #checkov:skip=CKV_AWS_59:Callers authenticate with their team's API key (api_key_required) and usage plan; the team is resolved from the key, never from the body.
  #checkov:skip=CKV2_AWS_53:Requests are validated by the ingest Lambda against the envelope model and the registered JSON Schemas, which an API Gateway model cannot express.
  for_each = local.routes

  rest_api_id        = aws_api_gateway_rest_api.this.id
  resource_id        = each.value.resource_id
  http_method        = each.value.method
  authorization      = "NONE"
  api_key_required   = true
  request_parameters = each.value.params
}

resource "aws_api_gateway_integration" "this" {
  for_each = local.routes

  rest_api_id             = aws_api_gateway_rest_api.this.id
  resource_id             = each.value.resource_id
  http_method             = aws_api_gateway_method.this[each.key].http_method
  type                    = "AWS_PROXY"
  integration_http_method = "POST"
  uri                     = module.function.invoke_arn
  timeout_milliseconds    = 29000
}

resource "aws_lambda_permission" "api" {
  for_each = local.routes

  statement_id  = "api-${replace(each.key, "_", "-")}"
  action        = "lambda:InvokeFunction"
  function_name = module.function.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.this.execution_arn}/*/${each.value.method}/${each.value.path}"
}

resource "aws_api_gateway_deployment" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  description = "Routes and integrations of the ingestion API"

  triggers = {
    redeployment = sha1(jsonencode([
      aws_api_gateway_resource.v1.id,
      aws_api_gateway_resource.events.id,
      aws_api_gateway_resource.schemas.id,
      aws_api_gateway_resource.schema.id,
      [for m in aws_api_gateway_method.this : [m.id, m.api_key_required, m.authorization]],
      [for i in aws_api_gateway_integration.this : [i.id, i.uri]],
    ]))
  }

  lifecycle {
    create_before_destroy = true
  }
}

module "access_logs" {
  source = "../log_group"

  name                         = "/aws/apigateway/${var.names.api}/access"
  retention_days               = var.log_retention_days
  kms_key_arn                  = var.kms_key_arn
  subscription_destination_arn = var.log_subscription_destination_arn
  tags                         = var.tags
}

# API Gateway writes execution logs (errors only) here; created up front to set retention and KMS.
module "execution_logs" {
  source = "../log_group"

  name                         = "API-Gateway-Execution-Logs_${aws_api_gateway_rest_api.this.id}/${var.stage_name}"
  retention_days               = var.log_retention_days
  kms_key_arn                  = var.kms_key_arn
  subscription_destination_arn = var.log_subscription_destination_arn
  tags                         = var.tags
}

moved {
  from = aws_cloudwatch_log_group.access
  to   = module.access_logs.aws_cloudwatch_log_group.this
}

moved {
  from = aws_cloudwatch_log_group.execution
  to   = module.execution_logs.aws_cloudwatch_log_group.this
}

moved {
  from = aws_cloudwatch_log_subscription_filter.api["access"]
  to   = module.access_logs.aws_cloudwatch_log_subscription_filter.this[0]
}

moved {
  from = aws_cloudwatch_log_subscription_filter.api["execution"]
  to   = module.execution_logs.aws_cloudwatch_log_subscription_filter.this[0]
}

resource "aws_api_gateway_stage" "this" {
  #checkov:skip=CKV_AWS_120:Responses are per-request verdicts (POST) or small static schemas; a cache cluster costs more than the POC budget.
  #checkov:skip=CKV2_AWS_29:AWS WAF costs at least 5 USD/month + 1 USD per rule per web ACL, half of a POC budget; usage plans throttle per key and the stage throttles overall. Attach a web ACL (aws_wafv2_web_acl_association) for production traffic.
  #checkov:skip=CKV2_AWS_51:The backend is a Lambda proxy integration, not an HTTP backend that could verify a client certificate.
  #checkov:skip=CKV2_AWS_4:Execution logging is set to ERROR for every method (aws_api_gateway_method_settings.all); per-method metrics are opt-in (detailed_metrics) because they are billed as custom metrics, and the free stage metrics feed the dashboard and alarms.
  rest_api_id          = aws_api_gateway_rest_api.this.id
  deployment_id        = aws_api_gateway_deployment.this.id
  stage_name           = var.stage_name
  xray_tracing_enabled = true
  tags                 = var.tags

  access_log_settings {
    destination_arn = module.access_logs.arn
    format = jsonencode({
      requestId        = "$context.requestId"
      extendedId       = "$context.extendedRequestId"
      ip               = "$context.identity.sourceIp"
      apiKeyId         = "$context.identity.apiKeyId"
      requestTime      = "$context.requestTime"
      httpMethod       = "$context.httpMethod"
      resourcePath     = "$context.resourcePath"
      status           = "$context.status"
      protocol         = "$context.protocol"
      responseLength   = "$context.responseLength"
      latencyMs        = "$context.responseLatency"
      integrationMs    = "$context.integration.latency"
      integrationError = "$context.integration.error"
      xrayTraceId      = "$context.xrayTraceId"
    })
  }

  depends_on = [aws_api_gateway_account.this, module.execution_logs]
}

resource "aws_api_gateway_method_settings" "all" {
  #checkov:skip=CKV_AWS_225:No cache: POST verdicts must never be cached and the schema reads are tiny; a cache cluster would exceed the POC budget.
  rest_api_id = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  method_path = "*/*"

  settings {
    metrics_enabled        = var.detailed_metrics
    logging_level          = "ERROR"
    data_trace_enabled     = false
    caching_enabled        = false
    cache_data_encrypted   = true
    throttling_rate_limit  = var.stage_throttle.rate_limit
    throttling_burst_limit = var.stage_throttle.burst_limit
  }
}

# --- Usage plans: rate, burst and daily quota per team ------------------------------
resource "aws_api_gateway_usage_plan" "team" {
  for_each = var.teams

  name        = var.team_usage_plan_names[each.key]
  description = "Limits of team ${each.key} (config/platform.yaml teams.${each.key}.api)"
  tags        = merge(var.tags, { Team = each.key })

  api_stages {
    api_id = aws_api_gateway_rest_api.this.id
    stage  = aws_api_gateway_stage.this.stage_name
  }

  throttle_settings {
    rate_limit  = each.value.rate_limit
    burst_limit = each.value.burst_limit
  }

  quota_settings {
    limit  = each.value.quota_per_day
    period = "DAY"
  }
}

resource "aws_api_gateway_usage_plan_key" "team" {
  for_each = var.teams

  key_id        = aws_api_gateway_api_key.team[each.key].id
  key_type      = "API_KEY"
  usage_plan_id = aws_api_gateway_usage_plan.team[each.key].id
}

# --- Account settings: the role API Gateway uses to write CloudWatch Logs --------
data "aws_iam_policy_document" "apigw_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["apigateway.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "apigw_logs" {
  count = var.manage_account_settings ? 1 : 0

  name                 = "${var.name_prefix}-apigateway-logs"
  description          = "API Gateway writes execution and access logs of the account's APIs"
  assume_role_policy   = data.aws_iam_policy_document.apigw_assume.json
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

resource "aws_iam_role_policy_attachment" "apigw_logs" {
  count = var.manage_account_settings ? 1 : 0

  role       = aws_iam_role.apigw_logs[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
}

resource "aws_api_gateway_account" "this" {
  count = var.manage_account_settings ? 1 : 0

  cloudwatch_role_arn = aws_iam_role.apigw_logs[0].arn

  depends_on = [aws_iam_role_policy_attachment.apigw_logs]
}
