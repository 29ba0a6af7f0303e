# One declared service (config/platform.yaml `services.<name>`): its function, least-privilege
# role, trigger, tables, buckets and secrets. Everything comes from its spec (service_specs:
# the declaration normalised by platform_config, the names and environment from naming, the
# role's statements from service_policy): modules/environment instantiates this module once
# per service with for_each. A new kind of infrastructure a service needs is a new field
# of the declaration (platform_core/config.py Service), normalised in platform_config, and the
# resources for it here.
data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region
  trigger    = var.service.trigger
  image      = var.service.packaging.type == "image"
  msk        = try(var.kafka.cluster_arn, null) != null
  tags       = merge(var.tags, { Team = var.service.team, Service = var.name })

  # What an authorizer with an identity learns of its user pool (see "Identity" below).
  identity_environment = var.service.identity == null ? {} : {
    OIDC_ISSUER     = "https://cognito-idp.${local.region}.amazonaws.com/${aws_cognito_user_pool.this[0].id}"
    APP_CLIENTS     = jsonencode({ for name, client in aws_cognito_user_pool_client.this : client.id => name })
    RESOURCE_SERVER = var.service.identity.resource_server
  }

  # The identity texts go out from (see "SMS" below): known once created, so AWS-only.
  sms_origination = try(var.service.sms.origination, null)
  sms_environment = local.sms_origination == null ? {} : {
    SMS_ORIGINATION_IDENTITY = local.sms_origination.type == "sender_id" ? aws_pinpointsmsvoicev2_sender_id.this[0].arn : aws_pinpointsmsvoicev2_phone_number.this[0].arn
  }
}

# --- State: tables, buckets, secrets ------------------------------------------------------
resource "aws_dynamodb_table" "this" {
  #checkov:skip=CKV2_AWS_16:On-demand (PAY_PER_REQUEST) capacity scales by itself; auto scaling applies to provisioned tables only.
  for_each = var.service.tables

  name                        = var.names.tables[each.key]
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = each.value.hash_key
  range_key                   = each.value.range_key
  stream_enabled              = each.value.stream != null
  stream_view_type            = each.value.stream
  deletion_protection_enabled = var.deletion_protection
  tags                        = local.tags

  # Declared keys are strings (the declaration has no key types).
  dynamic "attribute" {
    for_each = compact([each.value.hash_key, each.value.range_key])

    content {
      name = attribute.value
      type = "S"
    }
  }

  dynamic "ttl" {
    for_each = each.value.ttl_attribute == null ? [] : [each.value.ttl_attribute]

    content {
      attribute_name = ttl.value
      enabled        = true
    }
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }
}

module "bucket" {
  source   = "../s3_bucket"
  for_each = var.service.buckets

  name                       = var.names.buckets[each.key]
  kms_key_arn                = var.kms_key_arn
  access_log_bucket          = var.access_log_bucket
  force_destroy              = var.force_destroy
  object_lock_retention_days = coalesce(each.value.object_lock_days, 0)
  # What a service locks (invoices kept by law) nobody may delete early; the local platform too.
  object_lock_mode          = "COMPLIANCE"
  eventbridge_notifications = false
  lifecycle_rules = concat(
    each.value.expiration_days == null ? [] : [{ id = "expire", prefix = "", expiration_days = each.value.expiration_days }],
    [
      for i, rule in each.value.lifecycle : {
        id                         = "prefix-${i}"
        prefix                     = rule.prefix
        transitions                = rule.transition_ia_days == null ? [] : [{ days = rule.transition_ia_days, storage_class = "STANDARD_IA" }]
        expiration_days            = rule.expiration_days
        noncurrent_expiration_days = rule.noncurrent_expiration_days
      }
    ],
  )
  queue_notifications = local.trigger.type == "s3" && local.trigger.bucket == each.key ? [{
    queue_arn = aws_sqs_queue.inbox[0].arn
    events    = ["s3:ObjectCreated:*"]
    prefix    = local.trigger.prefix
    suffix    = local.trigger.suffix
  }] : []
  tags = local.tags

  # S3 checks that it may send to the queue when the notification is created.
  depends_on = [aws_sqs_queue_policy.tls_only]
}

resource "aws_secretsmanager_secret" "this" {
  #checkov:skip=CKV2_AWS_57:The values are an external system's credentials, set out of band by the team that owns them; rotation is that system's (a rotation Lambda per external API is beyond a POC).
  for_each = var.service.secrets

  name                    = var.names.secrets[each.key]
  description             = each.value.description
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.force_destroy ? 0 : 30
  tags                    = local.tags
}

# --- The function and its role --------------------------------------------------------------
# The role's statements come from service_policy (through service_specs), where they are tested.
data "aws_iam_policy_document" "runtime" {
  dynamic "statement" {
    for_each = var.statements

    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = statement.value.resources

      dynamic "condition" {
        for_each = statement.value.conditions

        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}

module "function" {
  source = "../lambda_function"

  name                             = var.names.function
  description                      = var.service.description
  handler                          = var.service.handler
  artifact                         = local.image ? null : var.artifact
  image_uri                        = local.image ? "${aws_ecr_repository.this[0].repository_url}@${var.image_digest}" : null
  layers                           = var.layers
  memory_size                      = var.service.memory_mb
  timeout                          = var.service.timeout_seconds
  reserved_concurrency             = var.reserve_concurrency ? var.service.concurrency : -1
  tracing_mode                     = var.tracing_mode
  policy_json                      = data.aws_iam_policy_document.runtime.json
  kms_key_arn                      = var.kms_key_arn
  environment                      = merge(var.environment, local.identity_environment, local.sms_environment)
  vpc_config                       = var.vpc_config
  log_retention_days               = var.log_retention_days
  log_subscription_destination_arn = var.log_subscription_destination_arn
  permissions_boundary_arn         = var.permissions_boundary_arn
  tags                             = local.tags

  # The image must be in the repository before Lambda is told to run it.
  depends_on = [terraform_data.image_push]
}

# An image function's repository, and the push of its image (built by `make package`).
resource "aws_ecr_repository" "this" {
  count = local.image ? 1 : 0

  name                 = var.names.function
  image_tag_mutability = "IMMUTABLE"
  force_delete         = var.force_destroy
  tags                 = local.tags

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = var.kms_key_arn
  }
}

resource "terraform_data" "image_push" {
  count = local.image && var.image_push_command != null ? 1 : 0

  triggers_replace = [var.image_digest, aws_ecr_repository.this[0].repository_url]

  provisioner "local-exec" {
    command = format(var.image_push_command, var.name, aws_ecr_repository.this[0].repository_url)
  }
}

resource "aws_ecr_lifecycle_policy" "this" {
  count = local.image ? 1 : 0

  repository = aws_ecr_repository.this[0].name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the last 10 images (rollbacks); the function names its image by digest"
      selection    = { tagStatus = "any", countType = "imageCountMoreThan", countNumber = 10 }
      action       = { type = "expire" }
    }]
  })
}

data "aws_iam_policy_document" "ecr" {
  count = local.image ? 1 : 0

  statement {
    sid     = "LambdaPullsTheFunctionImage"
    actions = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }

    condition {
      test     = "StringLike"
      variable = "aws:sourceArn"
      values   = ["arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:${var.names.function}*"]
    }
  }
}

resource "aws_ecr_repository_policy" "this" {
  count = local.image ? 1 : 0

  repository = aws_ecr_repository.this[0].name
  policy     = data.aws_iam_policy_document.ecr[0].json
}

# --- Trigger: a queue (the team's, or the service's inbox fed by S3) ---------------------------
resource "aws_sqs_queue" "inbox_dlq" {
  count = local.trigger.type == "s3" ? 1 : 0

  name                              = var.names.inbox_dlq
  message_retention_seconds         = var.sqs.dlq_retention_seconds
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = 300
  tags                              = local.tags
}

resource "aws_sqs_queue" "inbox" {
  count = local.trigger.type == "s3" ? 1 : 0

  name = var.names.inbox_queue
  # AWS's advice for a queue feeding Lambda: at least six times the function's timeout.
  visibility_timeout_seconds        = max(var.sqs.visibility_timeout_seconds, 6 * var.service.timeout_seconds)
  message_retention_seconds         = var.sqs.message_retention_seconds
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = 300
  tags                              = local.tags

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.inbox_dlq[0].arn
    maxReceiveCount     = var.sqs.max_receive_count
  })
}

resource "aws_sqs_queue_redrive_allow_policy" "inbox_dlq" {
  count = local.trigger.type == "s3" ? 1 : 0

  queue_url = aws_sqs_queue.inbox_dlq[0].id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.inbox[0].arn]
  })
}

# S3 may send to the inbox, from the service's bucket and account only.
data "aws_iam_policy_document" "bucket_notifications" {
  count = local.trigger.type == "s3" ? 1 : 0

  statement {
    sid       = "BucketNotifications"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.inbox[0].arn]

    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:s3:::${var.names.buckets[local.trigger.bucket]}"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

locals {
  queues = local.trigger.type == "s3" ? { inbox = aws_sqs_queue.inbox[0], dlq = aws_sqs_queue.inbox_dlq[0] } : {}
}

module "queue_deny_insecure_transport" {
  source   = "../tls_only_policy"
  for_each = local.queues

  actions   = ["sqs:*"]
  resources = [each.value.arn]
}

data "aws_iam_policy_document" "queue_tls_only" {
  for_each = local.queues

  source_policy_documents = concat(
    each.key == "inbox" ? [data.aws_iam_policy_document.bucket_notifications[0].json] : [],
    [module.queue_deny_insecure_transport[each.key].json],
  )
}

resource "aws_sqs_queue_policy" "tls_only" {
  for_each = local.queues

  queue_url = each.value.id
  policy    = data.aws_iam_policy_document.queue_tls_only[each.key].json
}

resource "aws_lambda_event_source_mapping" "queue" {
  count = contains(["queue", "s3"], local.trigger.type) ? 1 : 0

  function_name                      = module.function.arn
  event_source_arn                   = local.trigger.type == "queue" ? var.team_queue.arn : aws_sqs_queue.inbox[0].arn
  batch_size                         = var.service.batch.size
  maximum_batching_window_in_seconds = var.service.batch.window_seconds
  function_response_types            = ["ReportBatchItemFailures"]
  tags                               = local.tags

  # At most `concurrency` invocations at once (SQS's floor is 2).
  scaling_config {
    maximum_concurrency = max(2, var.service.concurrency)
  }

  lifecycle {
    precondition {
      condition     = local.trigger.type != "queue" || var.sqs.visibility_timeout_seconds >= var.service.timeout_seconds
      error_message = "Lambda refuses a queue whose visibility timeout is shorter than the function's timeout: raise sqs.visibility_timeout_seconds in config/platform.yaml to at least services.${var.name}.timeout_seconds (${var.service.timeout_seconds} s)."
    }
  }
}

# --- Trigger: Kafka topics, one mapping and consumer group per topic (Lambda's rule) ---------
resource "aws_lambda_event_source_mapping" "kafka" {
  for_each = local.trigger.type == "kafka" ? var.topics : {}

  function_name                      = module.function.arn
  event_source_arn                   = local.msk ? var.kafka.cluster_arn : null
  topics                             = [each.value]
  starting_position                  = "TRIM_HORIZON"
  batch_size                         = var.service.batch.size
  maximum_batching_window_in_seconds = var.service.batch.window_seconds
  tags                               = local.tags

  dynamic "amazon_managed_kafka_event_source_config" {
    for_each = local.msk ? [1] : []

    content {
      consumer_group_id = "${var.names.consumer_group}.${each.key}"
    }
  }

  dynamic "self_managed_event_source" {
    for_each = local.msk ? [] : [1]

    content {
      endpoints = { KAFKA_BOOTSTRAP_SERVERS = var.kafka.bootstrap_servers }
    }
  }

  dynamic "self_managed_kafka_event_source_config" {
    for_each = local.msk ? [] : [1]

    content {
      consumer_group_id = "${var.names.consumer_group}.${each.key}"
    }
  }

  dynamic "source_access_configuration" {
    for_each = !local.msk && try(var.kafka.auth_secret_arn, null) != null ? [var.kafka.auth_secret_arn] : []

    content {
      type = "SASL_SCRAM_512_AUTH"
      uri  = source_access_configuration.value
    }
  }

  lifecycle {
    precondition {
      condition     = var.kafka != null
      error_message = "A kafka trigger needs the platform's Kafka connection (var.kafka)."
    }
  }
}

# --- Trigger: a schedule (EventBridge Scheduler, UTC) ---------------------------------------------
data "aws_iam_policy_document" "scheduler_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "scheduler" {
  count = local.trigger.type == "schedule" ? 1 : 0

  name                 = substr("${var.names.function}-schedule", 0, 64)
  description          = "EventBridge Scheduler invokes ${var.names.function}"
  assume_role_policy   = data.aws_iam_policy_document.scheduler_assume.json
  permissions_boundary = var.permissions_boundary_arn
  tags                 = local.tags
}

data "aws_iam_policy_document" "scheduler" {
  statement {
    sid       = "InvokeTheFunction"
    actions   = ["lambda:InvokeFunction"]
    resources = [module.function.arn, "${module.function.arn}:*"]
  }
}

resource "aws_iam_role_policy" "scheduler" {
  count = local.trigger.type == "schedule" ? 1 : 0

  name   = "invoke"
  role   = aws_iam_role.scheduler[0].id
  policy = data.aws_iam_policy_document.scheduler.json
}

resource "aws_scheduler_schedule" "this" {
  #checkov:skip=CKV_AWS_297:The schedule carries no input (the function reads nothing from it), so there is nothing to encrypt with a customer key.
  count = local.trigger.type == "schedule" ? 1 : 0

  name                         = var.names.function
  description                  = "Runs ${var.names.function} (config services.${var.name}.trigger.expression)"
  schedule_expression          = local.trigger.expression
  schedule_expression_timezone = "UTC"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = module.function.arn
    role_arn = aws_iam_role.scheduler[0].arn

    retry_policy {
      maximum_retry_attempts       = 2
      maximum_event_age_in_seconds = 3600
    }
  }
}

# --- Trigger: routes of the REST API, or its authorizer -------------------------------------------
resource "aws_lambda_permission" "route" {
  for_each = local.trigger.type == "api" ? { for r in var.api.routes : "${r.method} ${r.path}" => r } : {}

  statement_id  = "api-${lower(each.value.method)}${replace(each.value.path, "/[^A-Za-z0-9]+/", "-")}"
  action        = "lambda:InvokeFunction"
  function_name = module.function.function_name
  principal     = "apigateway.amazonaws.com"
  # Any stage; path parameters ({id}) match any segment.
  source_arn = "${var.api.execution_arn}/*/${each.value.method}${replace(each.value.path, "/\\{[^}]+\\}/", "*")}"
}

resource "aws_lambda_permission" "authorizer" {
  count = local.trigger.type == "authorizer" ? 1 : 0

  statement_id  = "api-authorizer"
  action        = "lambda:InvokeFunction"
  function_name = module.function.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${var.api.execution_arn}/authorizers/*"
}

# --- Identity of an authorizer: the user pool its token clients sign in to ------------------------
# Scopes are <resource_server>/<scope>; each token client is a public app client (authorization
# code flow with PKCE, no secret) allowed its declared scopes; the authorizer learns the pool,
# the app clients and the resource server from its environment (OIDC_ISSUER, APP_CLIENTS,
# RESOURCE_SERVER) and each client's usage-plan key from its `api-clients` secret.
locals {
  identity      = var.service.identity
  token_clients = local.identity == null ? {} : { for name, c in local.identity.clients : name => c if c.credential == "token" }
}

resource "aws_cognito_user_pool" "this" {
  count = local.identity == null ? 0 : 1

  name                     = var.names.function
  deletion_protection      = var.deletion_protection ? "ACTIVE" : "INACTIVE"
  username_attributes      = ["email"]
  auto_verified_attributes = ["email"]
  mfa_configuration        = "OPTIONAL"
  tags                     = local.tags

  software_token_mfa_configuration {
    enabled = true
  }

  password_policy {
    minimum_length                   = 12
    require_lowercase                = true
    require_numbers                  = true
    require_symbols                  = false
    require_uppercase                = true
    temporary_password_validity_days = 3
  }

  account_recovery_setting {
    recovery_mechanism {
      name     = "verified_email"
      priority = 1
    }
  }
}

resource "aws_cognito_resource_server" "this" {
  count = local.identity == null ? 0 : 1

  identifier   = local.identity.resource_server
  name         = "${var.name} (${local.identity.resource_server})"
  user_pool_id = aws_cognito_user_pool.this[0].id

  dynamic "scope" {
    for_each = local.identity.scopes

    content {
      scope_name        = scope.key
      scope_description = scope.value
    }
  }
}

# The hosted sign-in pages (managed login) the token clients' authorization code flow uses.
resource "aws_cognito_user_pool_domain" "this" {
  count = local.identity == null ? 0 : 1

  domain       = substr("${var.names.function}-${local.account_id}", 0, 63)
  user_pool_id = aws_cognito_user_pool.this[0].id
}

resource "aws_cognito_user_pool_client" "this" {
  for_each = local.token_clients

  name                                 = each.key
  user_pool_id                         = aws_cognito_user_pool.this[0].id
  generate_secret                      = false
  allowed_oauth_flows_user_pool_client = true
  allowed_oauth_flows                  = ["code"]
  allowed_oauth_scopes                 = [for scope in each.value.scopes : "${local.identity.resource_server}/${scope}"]
  supported_identity_providers         = ["COGNITO"]
  callback_urls                        = var.identity_callback_urls
  logout_urls                          = var.identity_callback_urls
  explicit_auth_flows                  = ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"]
  prevent_user_existence_errors        = "ENABLED"
  enable_token_revocation              = true
  access_token_validity                = local.identity.access_token_minutes
  id_token_validity                    = local.identity.access_token_minutes
  refresh_token_validity               = 30

  token_validity_units {
    access_token  = "minutes"
    id_token      = "minutes"
    refresh_token = "days"
  }

  depends_on = [aws_cognito_resource_server.this]
}

# Every client's usage-plan key, for the authorizer to return as usageIdentifierKey.
resource "aws_secretsmanager_secret_version" "api_clients" {
  count = local.identity == null ? 0 : 1

  secret_id     = try(aws_secretsmanager_secret.this["api-clients"].id, "")
  secret_string = jsonencode({ for name in keys(local.identity.clients) : name => var.client_api_keys[name] })

  lifecycle {
    precondition {
      condition     = contains(keys(var.service.secrets), "api-clients") && alltrue([for name in keys(local.identity.clients) : contains(keys(var.client_api_keys), name)])
      error_message = "An authorizer with an identity declares a secret `api-clients` (its clients' usage-plan keys), and every client needs its API key (client_api_keys)."
    }
  }
}

# --- E-mail: the service's SES configuration set (the domain's identity is the environment's) -------
# Bounces, complaints, deliveries and rejections go to the account's default EventBridge bus,
# where whoever follows deliveries subscribes; TLS is required to the receiving servers.
resource "aws_sesv2_configuration_set" "this" {
  count = var.service.mail == null ? 0 : 1

  configuration_set_name = var.names.mail_configuration_set
  tags                   = local.tags

  delivery_options {
    tls_policy = "REQUIRE"
  }

  reputation_options {
    reputation_metrics_enabled = true
  }

  sending_options {
    sending_enabled = true
  }

  suppression_options {
    suppressed_reasons = ["BOUNCE", "COMPLAINT"]
  }
}

resource "aws_sesv2_configuration_set_event_destination" "this" {
  count = var.service.mail == null ? 0 : 1

  configuration_set_name = aws_sesv2_configuration_set.this[0].configuration_set_name
  event_destination_name = "eventbridge"

  event_destination {
    enabled              = true
    matching_event_types = ["SEND", "DELIVERY", "BOUNCE", "COMPLAINT", "REJECT", "DELIVERY_DELAY"]

    event_bridge_destination {
      event_bus_arn = "arn:${local.partition}:events:${local.region}:${local.account_id}:event-bus/default"
    }
  }
}

# SES's events about this service's mail back on its team's queue (mail.feedback): a rule on the
# default bus for its configuration set. The queue's policy lets this rule send (event_fanout
# event_rule_senders, from the rule's name); the environment's data key lets EventBridge encrypt.
resource "aws_cloudwatch_event_rule" "mail_feedback" {
  count = try(var.service.mail.feedback, false) ? 1 : 0

  name        = "${var.names.function}-mail-feedback"
  description = "SES events of ${var.names.mail_configuration_set} to ${var.team_queue.name}"
  event_pattern = jsonencode({
    source = ["aws.ses"]
    detail = { mail = { tags = { "ses:configuration-set" = [var.names.mail_configuration_set] } } }
  })
  tags = local.tags

  lifecycle {
    precondition {
      condition     = var.service.trigger.type == "queue" && var.team_queue != null
      error_message = "mail.feedback sends SES's events to the team's queue: the service needs a queue trigger."
    }
  }
}

resource "aws_cloudwatch_event_target" "mail_feedback" {
  count = length(aws_cloudwatch_event_rule.mail_feedback)

  rule      = aws_cloudwatch_event_rule.mail_feedback[0].name
  target_id = "team-queue"
  arn       = var.team_queue.arn
}

# --- SMS: the service's configuration set, opt-out list and origination identity (End User Messaging SMS)
# Recipients who answer STOP land on the service's opt-out list (the service then refuses to text them).
resource "aws_pinpointsmsvoicev2_opt_out_list" "this" {
  count = var.service.sms == null ? 0 : 1

  name = var.names.sms_configuration_set
  tags = local.tags
}

resource "aws_pinpointsmsvoicev2_configuration_set" "this" {
  count = var.service.sms == null ? 0 : 1

  name                 = var.names.sms_configuration_set
  default_message_type = var.service.sms.message_type
  default_sender_id    = try(local.sms_origination.sender_id, null)
  tags                 = local.tags
}

resource "aws_pinpointsmsvoicev2_sender_id" "this" {
  count = try(local.sms_origination.type, null) == "sender_id" ? 1 : 0

  sender_id                   = local.sms_origination.sender_id
  iso_country_code            = local.sms_origination.country
  message_types               = [var.service.sms.message_type]
  deletion_protection_enabled = var.deletion_protection
  tags                        = local.tags
}

# A leased number costs a monthly fee (and some countries and number types need a registration first).
resource "aws_pinpointsmsvoicev2_phone_number" "this" {
  count = try(local.sms_origination.type, null) == "phone_number" ? 1 : 0

  iso_country_code            = local.sms_origination.country
  message_type                = var.service.sms.message_type
  number_capabilities         = ["SMS"]
  number_type                 = local.sms_origination.number_type
  opt_out_list_name           = aws_pinpointsmsvoicev2_opt_out_list.this[0].name
  deletion_protection_enabled = var.deletion_protection
  tags                        = local.tags
}

# The SMS events back on the team's queue (sms.feedback): the configuration set publishes them to
# an SNS topic (encrypted with the data key, which lets sms-voice and SNS use it), the queue
# subscribes with raw delivery, so the function reads the event as End User Messaging SMS wrote it.
# The queue's policy lets this topic send (event_fanout topic_senders, from the topic's name).
resource "aws_sns_topic" "sms_feedback" {
  count = try(var.service.sms.feedback, false) ? 1 : 0

  name              = var.names.sms_configuration_set
  kms_master_key_id = var.kms_key_arn
  tags              = local.tags

  lifecycle {
    precondition {
      condition     = var.service.trigger.type == "queue" && var.team_queue != null
      error_message = "sms.feedback sends the SMS events to the team's queue: the service needs a queue trigger."
    }
  }
}

module "sms_feedback_deny_insecure_transport" {
  source = "../tls_only_policy"
  count  = length(aws_sns_topic.sms_feedback)

  actions   = ["sns:Publish"]
  resources = [aws_sns_topic.sms_feedback[0].arn]
}

data "aws_iam_policy_document" "sms_feedback" {
  count = length(aws_sns_topic.sms_feedback)

  # After the statement below, as the policy has always had it (an override with a Sid of its own appends).
  override_policy_documents = [module.sms_feedback_deny_insecure_transport[0].json]

  statement {
    sid       = "ItsConfigurationSetPublishes"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.sms_feedback[0].arn]

    principals {
      type        = "Service"
      identifiers = ["sms-voice.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_pinpointsmsvoicev2_configuration_set.this[0].arn]
    }
  }
}

resource "aws_sns_topic_policy" "sms_feedback" {
  count = length(aws_sns_topic.sms_feedback)

  arn    = aws_sns_topic.sms_feedback[0].arn
  policy = data.aws_iam_policy_document.sms_feedback[0].json
}

resource "aws_pinpointsmsvoicev2_event_destination" "this" {
  count = length(aws_sns_topic.sms_feedback)

  configuration_set_name = aws_pinpointsmsvoicev2_configuration_set.this[0].name
  event_destination_name = "team-queue"
  enabled                = true
  # Every text event: the service reads the ones it knows (pending, delivered, blocked, opted out...).
  matching_event_types = ["TEXT_ALL"]

  sns_destination {
    topic_arn = aws_sns_topic.sms_feedback[0].arn
  }

  depends_on = [aws_sns_topic_policy.sms_feedback]
}

resource "aws_sns_topic_subscription" "sms_feedback" {
  count = length(aws_sns_topic.sms_feedback)

  topic_arn            = aws_sns_topic.sms_feedback[0].arn
  protocol             = "sqs"
  endpoint             = var.team_queue.arn
  raw_message_delivery = true
}
