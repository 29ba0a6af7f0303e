# The ingest side of the platform's API: the events table (the idempotency record and the
# stream the fan-out reads) and the ingest function behind the platform's routes of the REST API.
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
    API_KEY_TEAMS           = jsonencode({ for team, key_id in var.team_api_key_ids : key_id => team })
  })
  log_retention_days               = var.log_retention_days
  log_subscription_destination_arn = var.log_subscription_destination_arn
  permissions_boundary_arn         = var.permissions_boundary_arn
  tags                             = var.tags
}

# --- Its routes: the operations of api/openapi.yaml whose x-platform-function is `ingest` ----
resource "aws_lambda_permission" "route" {
  for_each = { for r in var.api.routes : "${r.method} ${r.path}" => r }

  statement_id  = "api-${lower(each.value.method)}${replace(each.value.path, "/[^A-Za-z0-9]+/", "-")}"
  action        = "lambda:InvokeFunction"
  function_name = module.function.function_name
  principal     = "apigateway.amazonaws.com"
  # Any stage; path parameters ({event_type}) match any segment.
  source_arn = "${var.api.execution_arn}/*/${each.value.method}${replace(each.value.path, "/\\{[^}]+\\}/", "*")}"
}

# --- The API key of each team whose services emit events, for those services to read -------
resource "aws_secretsmanager_secret" "team_api_key" {
  #checkov:skip=CKV2_AWS_57:The value is the team's API Gateway key, which Terraform owns; rotating it is replacing the key (terraform apply -replace), which rewrites this secret.
  for_each = var.team_api_key_secrets

  name                    = each.value
  description             = "The API key of team ${each.key}: its services send events with it (x-api-key)"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.deletion_protection ? 30 : 0
  tags                    = merge(var.tags, { Team = each.key })
}

resource "aws_secretsmanager_secret_version" "team_api_key" {
  for_each = var.team_api_key_secrets

  secret_id     = aws_secretsmanager_secret.team_api_key[each.key].id
  secret_string = var.team_api_key_values[each.key]
}
