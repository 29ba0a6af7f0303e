# One REST API defined by its OpenAPI body (modules/api_definition builds it from
# api/openapi.yaml), redeployed whenever the body changes, its stage (access and execution
# logs, X-Ray, a stage-wide throttle) and one API key with its usage plan per client.
resource "aws_api_gateway_rest_api" "this" {
  name        = var.name
  description = var.description
  body        = var.body
  # The body is the whole API: routes that leave the document leave the API.
  put_rest_api_mode = "overwrite"
  fail_on_warnings  = true
  tags              = var.tags

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_deployment" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  description = "The routes of api/openapi.yaml"

  triggers = {
    redeployment = sha1(var.body)
  }

  lifecycle {
    create_before_destroy = true
  }
}

module "access_logs" {
  source = "../log_group"

  name                         = "/aws/apigateway/${var.name}/access"
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

resource "aws_api_gateway_stage" "this" {
  #checkov:skip=CKV_AWS_120:Responses are per-request verdicts and orders, or small static schemas; a cache cluster costs more than the POC budget.
  #checkov:skip=CKV2_AWS_29:AWS WAF costs at least 5 USD/month + 1 USD per rule per web ACL, half of a POC budget; usage plans throttle per key and the stage throttles overall. Attach a web ACL (aws_wafv2_web_acl_association) for production traffic.
  #checkov:skip=CKV2_AWS_51:The backends are Lambda proxy integrations, not HTTP backends that could verify a client certificate.
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
      authorizerError  = "$context.authorizer.error"
      xrayTraceId      = "$context.xrayTraceId"
    })
  }

  depends_on = [module.execution_logs]
}

resource "aws_api_gateway_method_settings" "all" {
  #checkov:skip=CKV_AWS_225:No cache: POST verdicts must never be cached and the reads are tiny; a cache cluster would exceed the POC budget.
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

# --- One API key and usage plan per client (a team, or an authorizer's declared client) -----
resource "aws_api_gateway_api_key" "this" {
  for_each = var.clients

  name        = each.value.key_name
  description = each.value.description
  enabled     = true
  tags        = var.tags
}

resource "aws_api_gateway_usage_plan" "this" {
  for_each = var.clients

  name        = each.value.plan_name
  description = "Limits of ${each.value.description}"
  tags        = var.tags

  api_stages {
    api_id = aws_api_gateway_rest_api.this.id
    stage  = aws_api_gateway_stage.this.stage_name
  }

  throttle_settings {
    rate_limit  = each.value.rate_limit
    burst_limit = each.value.burst_limit
  }

  dynamic "quota_settings" {
    for_each = each.value.quota_per_day == null ? [] : [each.value.quota_per_day]

    content {
      limit  = quota_settings.value
      period = "DAY"
    }
  }
}

resource "aws_api_gateway_usage_plan_key" "this" {
  for_each = var.clients

  key_id        = aws_api_gateway_api_key.this[each.key].id
  key_type      = "API_KEY"
  usage_plan_id = aws_api_gateway_usage_plan.this[each.key].id
}

# 429s per API key, counted from the access log (its `status` and `apiKeyId` fields): API Gateway's own
# metrics count a stage's 4XX, not one usage plan's 429s. A key is a team or a declared client.
resource "aws_cloudwatch_log_metric_filter" "throttled" {
  count = var.throttled_requests_namespace == null ? 0 : 1

  name           = "${var.name}-throttled-requests"
  log_group_name = module.access_logs.name
  pattern        = "{ $.status = \"429\" && $.apiKeyId = * }"

  metric_transformation {
    name       = "ThrottledRequests"
    namespace  = var.throttled_requests_namespace
    value      = "1"
    unit       = "Count"
    dimensions = { apiKeyId = "$.apiKeyId" }
  }
}
