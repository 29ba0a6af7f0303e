# A managed OpenSearch domain for one service's search (`services.<name>.search` in
# config/platform.yaml): the opt-in beyond the default index file in the service's bucket.
# Secure by default: encrypted at rest with the platform's key and between nodes, HTTPS only with
# TLS 1.2 at least, an access policy naming only the roles given (requests signed with SigV4 for
# `es`), its application and slow logs in KMS-encrypted CloudWatch Logs groups.
data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  domain_arn = "arn:${data.aws_partition.current.partition}:es:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:domain/${var.name}"
  # OpenSearch's log types => the name of their group's last segment.
  log_types = {
    ES_APPLICATION_LOGS = "application"
    INDEX_SLOW_LOGS     = "index-slow"
    SEARCH_SLOW_LOGS    = "search-slow"
  }
}

module "logs" {
  source   = "../log_group"
  for_each = local.log_types

  name                         = "/aws/opensearch/${var.name}/${each.value}"
  retention_days               = var.log_retention_days
  kms_key_arn                  = var.kms_key_arn
  subscription_destination_arn = var.log_subscription_destination_arn
  tags                         = var.tags
}

data "aws_iam_policy_document" "logs" {
  statement {
    sid       = "OpenSearchWritesThisDomainsLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [for group in module.logs : "${group.arn}:*"]

    principals {
      type        = "Service"
      identifiers = ["es.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [local.domain_arn]
    }
  }
}

resource "aws_cloudwatch_log_resource_policy" "this" {
  policy_name     = "${var.name}-opensearch-logs"
  policy_document = data.aws_iam_policy_document.logs.json
}

# Only the given roles, and only the HTTP methods they use (no DELETE): within one account a
# resource policy grants on its own, so readers are held to searches here too, not only by their
# role's policy (service_policy).
data "aws_iam_policy_document" "access" {
  statement {
    sid       = "TheOwnerWritesAndSearches"
    actions   = ["es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost", "es:ESHttpPut"]
    resources = ["${local.domain_arn}/*"]

    principals {
      type        = "AWS"
      identifiers = var.writer_role_arns
    }
  }

  dynamic "statement" {
    for_each = length(var.reader_role_arns) == 0 ? [] : [1]
    content {
      sid       = "TheUsersSearch"
      actions   = ["es:ESHttpGet", "es:ESHttpPost"]
      resources = ["${local.domain_arn}/*/_search"]

      principals {
        type        = "AWS"
        identifiers = var.reader_role_arns
      }
    }
  }
}

resource "aws_opensearch_domain" "this" {
  #checkov:skip=CKV_AWS_137:Not in a VPC: the service's functions run outside one (as every platform function); access is IAM (SigV4) through the access policy, over HTTPS only.
  #checkov:skip=CKV2_AWS_59:No dedicated master nodes: a POC's domain is one or two data nodes (three masters would triple its cost); the index is rebuilt from the documents kept in S3.
  #checkov:skip=CKV_AWS_318:Same: no dedicated master nodes at POC scale.
  #checkov:skip=CKV2_AWS_52:Access is by IAM roles in the access policy, not fine-grained access control's internal users.
  #checkov:skip=CKV_AWS_317:Audit logs need fine-grained access control; application and slow logs are published.
  #checkov:skip=CKV_AWS_248:No VPC, so no security group (see CKV_AWS_137).
  domain_name    = var.name
  engine_version = var.engine_version

  cluster_config {
    instance_type          = var.instance_type
    instance_count         = var.instance_count
    zone_awareness_enabled = var.instance_count > 1

    dynamic "zone_awareness_config" {
      for_each = var.instance_count > 1 ? [1] : []
      content {
        availability_zone_count = 2
      }
    }
  }

  ebs_options {
    ebs_enabled = true
    volume_type = "gp3"
    volume_size = var.volume_gb
  }

  encrypt_at_rest {
    enabled    = true
    kms_key_id = var.kms_key_arn
  }

  node_to_node_encryption {
    enabled = true
  }

  domain_endpoint_options {
    enforce_https       = true
    tls_security_policy = "Policy-Min-TLS-1-2-2019-07"
  }

  access_policies = data.aws_iam_policy_document.access.json

  dynamic "log_publishing_options" {
    for_each = local.log_types
    content {
      log_type                 = log_publishing_options.key
      cloudwatch_log_group_arn = module.logs[log_publishing_options.key].arn
    }
  }

  tags = var.tags

  depends_on = [aws_cloudwatch_log_resource_policy.this]
}
