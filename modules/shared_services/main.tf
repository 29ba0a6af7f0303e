locals {
  msk_enabled  = var.kafka_mode == "msk"
  broker_count = length(var.msk_subnet_ids)
}

# --- Lambda artifacts bucket and uploads ---------------------------------------
module "artifacts" {
  source = "../s3_bucket"

  name              = var.names.artifacts_bucket
  kms_key_arn       = var.kms_key_arn
  access_log_bucket = var.access_log_bucket
  force_destroy     = var.force_destroy
  # Every upload is a new version; keep a few weeks of them for rollbacks.
  noncurrent_version_expiration_days = 30
  eventbridge_notifications          = false
  tags                               = var.tags
}

# Keys carry the content hash: a changed artifact is a new object, and the
# function/layer update only when the bytes change (reproducible builds).
resource "aws_s3_object" "layer" {
  bucket      = module.artifacts.id
  key         = "lambda/layers/${trimsuffix(var.layer_artifact, ".zip")}/${filesha256("${var.artifacts_dir}/${var.layer_artifact}")}.zip"
  source      = "${var.artifacts_dir}/${var.layer_artifact}"
  source_hash = filemd5("${var.artifacts_dir}/${var.layer_artifact}")
  kms_key_id  = var.kms_key_arn
  tags        = var.tags
}

resource "aws_s3_object" "function" {
  for_each = var.function_artifacts

  bucket      = module.artifacts.id
  key         = "lambda/functions/${each.key}/${filesha256("${var.artifacts_dir}/${each.value}")}.zip"
  source      = "${var.artifacts_dir}/${each.value}"
  source_hash = filemd5("${var.artifacts_dir}/${each.value}")
  kms_key_id  = var.kms_key_arn
  tags        = var.tags
}

resource "aws_s3_object" "extra_layer" {
  for_each = var.extra_layers

  bucket      = module.artifacts.id
  key         = "lambda/layers/${each.key}/${filesha256("${var.artifacts_dir}/${each.value.artifact}")}.zip"
  source      = "${var.artifacts_dir}/${each.value.artifact}"
  source_hash = filemd5("${var.artifacts_dir}/${each.value.artifact}")
  kms_key_id  = var.kms_key_arn
  tags        = var.tags
}

resource "aws_lambda_layer_version" "extra" {
  for_each = var.extra_layers

  layer_name               = each.value.layer_name
  description              = "Python packages of ${each.key} beyond the dependencies layer (pyproject.toml extras, make package)"
  s3_bucket                = module.artifacts.id
  s3_key                   = aws_s3_object.extra_layer[each.key].key
  s3_object_version        = aws_s3_object.extra_layer[each.key].version_id
  source_code_hash         = filebase64sha256("${var.artifacts_dir}/${each.value.artifact}")
  compatible_runtimes      = [var.lambda_runtime]
  compatible_architectures = [var.lambda_architecture]
}

resource "aws_lambda_layer_version" "dependencies" {
  layer_name               = var.names.dependencies_layer
  description              = "Third-party Python dependencies of the ${var.name_prefix} functions (make package)"
  s3_bucket                = module.artifacts.id
  s3_key                   = aws_s3_object.layer.key
  s3_object_version        = aws_s3_object.layer.version_id
  source_code_hash         = filebase64sha256("${var.artifacts_dir}/${var.layer_artifact}")
  compatible_runtimes      = [var.lambda_runtime]
  compatible_architectures = [var.lambda_architecture]
}

# --- Glue Data Catalog ------------------------------------------------------------
resource "aws_glue_catalog_database" "lake" {
  name        = var.names.glue_database
  description = "${var.name_prefix} data lake: curated tables (partition projection, no crawler)"
  tags        = var.tags
}

resource "aws_glue_data_catalog_encryption_settings" "this" {
  data_catalog_encryption_settings {
    connection_password_encryption {
      return_connection_password_encrypted = true
      aws_kms_key_id                       = var.kms_key_arn
    }

    encryption_at_rest {
      catalog_encryption_mode = "SSE-KMS"
      sse_aws_kms_key_id      = var.kms_key_arn
    }
  }
}

# --- Athena: one workgroup per team (plus the platform's) ----------------------------
resource "aws_athena_workgroup" "this" {
  for_each = var.workgroups

  name          = each.value
  description   = each.key == "platform" ? "Data-quality checks of the ${var.name_prefix} lake pipeline" : "Analytics workgroup of team ${each.key}"
  force_destroy = var.force_destroy
  tags          = merge(var.tags, { Team = each.key })

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = var.athena_bytes_scanned_cutoff

    engine_version {
      selected_engine_version = "Athena engine version 3"
    }

    result_configuration {
      output_location = "s3://${var.athena_results_bucket}/${each.key}/"

      encryption_configuration {
        encryption_option = "SSE_KMS"
        kms_key_arn       = var.kms_key_arn
      }

      acl_configuration {
        s3_acl_option = "BUCKET_OWNER_FULL_CONTROL"
      }
    }
  }
}

# --- Kafka: a small shared MSK cluster (optional) ---------------------------------
resource "aws_security_group" "msk" {
  count = local.msk_enabled ? 1 : 0

  name        = "${var.name_prefix}-msk"
  description = "MSK brokers of ${var.name_prefix}: Kafka over TLS with IAM auth from the platform's subnets"
  vpc_id      = var.msk_vpc_id
  tags        = merge(var.tags, { Name = "${var.name_prefix}-msk" })
}

resource "aws_vpc_security_group_ingress_rule" "msk_iam" {
  for_each = local.msk_enabled ? toset(var.msk_client_cidrs) : toset([])

  security_group_id = aws_security_group.msk[0].id
  description       = "Kafka clients, SASL/IAM over TLS"
  ip_protocol       = "tcp"
  from_port         = 9098
  to_port           = 9098
  cidr_ipv4         = each.value
}

module "msk_logs" {
  source = "../log_group"
  count  = local.msk_enabled ? 1 : 0

  name                         = "/aws/msk/${var.name_prefix}"
  retention_days               = var.log_retention_days
  kms_key_arn                  = var.kms_key_arn
  subscription_destination_arn = var.log_subscription_destination_arn
  tags                         = var.tags
}

moved {
  from = aws_cloudwatch_log_group.msk[0]
  to   = module.msk_logs[0].aws_cloudwatch_log_group.this
}

moved {
  from = aws_cloudwatch_log_subscription_filter.msk[0]
  to   = module.msk_logs[0].aws_cloudwatch_log_subscription_filter.this[0]
}

resource "aws_msk_configuration" "this" {
  count = local.msk_enabled ? 1 : 0

  name           = "${var.name_prefix}-kafka"
  kafka_versions = [var.msk_kafka_version]
  description    = "Topics are created by Terraform (aws_msk_topic) from config/platform.yaml, never implicitly"
  server_properties = join("\n", [
    "auto.create.topics.enable=false",
    "default.replication.factor=${min(var.kafka_replication_factor, local.broker_count)}",
    "min.insync.replicas=${max(1, min(var.kafka_replication_factor, local.broker_count) - 1)}",
    "unclean.leader.election.enable=false",
  ])
}

resource "aws_msk_cluster" "this" {
  count = local.msk_enabled ? 1 : 0

  cluster_name           = "${var.name_prefix}-kafka"
  kafka_version          = var.msk_kafka_version
  number_of_broker_nodes = local.broker_count
  enhanced_monitoring    = "DEFAULT"
  tags                   = var.tags

  broker_node_group_info {
    instance_type   = var.msk_instance_type
    client_subnets  = var.msk_subnet_ids
    security_groups = [aws_security_group.msk[0].id]

    storage_info {
      ebs_storage_info {
        volume_size = var.msk_volume_size_gb
      }
    }

    connectivity_info {
      public_access {
        type = "DISABLED"
      }
    }
  }

  client_authentication {
    unauthenticated = false

    sasl {
      iam = true
    }
  }

  encryption_info {
    encryption_at_rest_kms_key_arn = var.kms_key_arn

    encryption_in_transit {
      client_broker = "TLS"
      in_cluster    = true
    }
  }

  configuration_info {
    arn      = aws_msk_configuration.this[0].arn
    revision = aws_msk_configuration.this[0].latest_revision
  }

  logging_info {
    broker_logs {
      cloudwatch_logs {
        enabled   = true
        log_group = module.msk_logs[0].name
      }
    }
  }

  lifecycle {
    precondition {
      condition     = length(var.msk_subnet_ids) >= 2 && var.msk_vpc_id != null
      error_message = "kafka_mode = msk needs msk_vpc_id and at least two msk_subnet_ids (one broker per AZ)."
    }
  }
}

resource "aws_msk_topic" "this" {
  for_each = local.msk_enabled ? var.kafka_topics : {}

  cluster_arn        = aws_msk_cluster.this[0].arn
  name               = each.key
  partition_count    = each.value.partitions
  replication_factor = min(var.kafka_replication_factor, local.broker_count)
  configs = jsonencode({
    "retention.ms"   = tostring(each.value.retention_hours * 3600000)
    "cleanup.policy" = "delete"
  })
}

locals {
  kafka_bootstrap_servers   = local.msk_enabled ? aws_msk_cluster.this[0].bootstrap_brokers_sasl_iam : var.external_bootstrap_servers
  kafka_security_protocol   = local.msk_enabled ? "SASL_SSL" : var.external_security_protocol
  kafka_cluster_arn         = local.msk_enabled ? aws_msk_cluster.this[0].arn : null
  kafka_cluster_name        = local.msk_enabled ? aws_msk_cluster.this[0].cluster_name : null
  kafka_cluster_uuid        = local.msk_enabled ? split("/", aws_msk_cluster.this[0].arn)[2] : null
  kafka_topic_arn_prefix    = local.msk_enabled ? replace(aws_msk_cluster.this[0].arn, ":cluster/", ":topic/") : null
  kafka_group_arn_prefix    = local.msk_enabled ? replace(aws_msk_cluster.this[0].arn, ":cluster/", ":group/") : null
  kafka_transactional_arn_p = local.msk_enabled ? replace(aws_msk_cluster.this[0].arn, ":cluster/", ":transactional-id/") : null
}
