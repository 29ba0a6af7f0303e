# The organisation (management account): OUs, member accounts from
# config/platform.yaml (organization.accounts + one workload account per
# environment), and the service control policies every member account runs under.
module "config" {
  source = "../../modules/platform_config"

  config_yaml = file(var.config_path)
}

locals {
  project = module.config.project
  ous     = toset(["Security", "Infrastructure", "Workloads"])
}

provider "aws" {
  region = module.config.region

  default_tags {
    tags = {
      Project   = local.project
      ManagedBy = "terraform/org"
    }
  }
}

data "aws_partition" "current" {}

resource "aws_organizations_organization" "this" {
  feature_set          = "ALL"
  enabled_policy_types = ["SERVICE_CONTROL_POLICY"]
  aws_service_access_principals = [
    "cloudtrail.amazonaws.com",
    "guardduty.amazonaws.com",
    "malware-protection.guardduty.amazonaws.com",
    "config.amazonaws.com",
    "account.amazonaws.com",
    "sso.amazonaws.com",
  ]

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_organizations_organizational_unit" "this" {
  for_each = local.ous

  name      = each.key
  parent_id = aws_organizations_organization.this.roots[0].id
}

resource "aws_organizations_account" "this" {
  for_each = module.config.accounts

  name                       = each.value.name
  email                      = each.value.email
  parent_id                  = aws_organizations_organizational_unit.this[each.value.ou].id
  role_name                  = var.member_account_role_name
  iam_user_access_to_billing = "DENY"
  close_on_deletion          = var.close_accounts_on_deletion
  tags                       = { AccountKey = each.key, OU = each.value.ou }

  lifecycle {
    # AWS does not return role_name after creation; changing it would replace the account.
    ignore_changes = [role_name, iam_user_access_to_billing]
  }
}

# --- Service control policies ----------------------------------------------------------
locals {
  break_glass_principals = ["arn:${data.aws_partition.current.partition}:iam::*:role/${var.member_account_role_name}"]

  # Services whose control plane lives in us-east-1 (or is global): exempt
  # from the region allow-list (AWS's documented example list, trimmed).
  global_services = [
    "account:*", "acm:*", "aws-marketplace:*", "aws-portal:*", "budgets:*", "ce:*", "chatbot:*", "cloudfront:*",
    "cur:*", "globalaccelerator:*", "health:*", "iam:*", "networkmanager:*", "organizations:*",
    "pricing:*", "route53:*", "route53domains:*", "s3:GetAccountPublicAccessBlock", "s3:ListAllMyBuckets",
    "s3:PutAccountPublicAccessBlock", "shield:*", "sso:*", "sts:*", "support:*", "tag:*", "trustedadvisor:*",
    "waf:*", "wafv2:*", "waf-regional:*", "billing:*", "payments:*", "tax:*", "freetier:*", "consolidatedbilling:*",
    "invoicing:*", "sustainability:*", "cost-optimization-hub:*", "notifications:*",
  ]
}

data "aws_iam_policy_document" "deny_leave_organization" {
  statement {
    sid       = "DenyLeavingTheOrganization"
    effect    = "Deny"
    actions   = ["organizations:LeaveOrganization"]
    resources = ["*"]
  }
}

data "aws_iam_policy_document" "protect_security_services" {
  statement {
    sid    = "DenyDisablingCloudTrail"
    effect = "Deny"
    actions = [
      "cloudtrail:DeleteTrail", "cloudtrail:StopLogging", "cloudtrail:UpdateTrail",
      "cloudtrail:PutEventSelectors", "cloudtrail:DeleteEventDataStore", "cloudtrail:StopEventDataStoreIngestion",
    ]
    resources = ["*"]
  }

  statement {
    sid    = "DenyDisablingGuardDuty"
    effect = "Deny"
    actions = [
      "guardduty:DeleteDetector", "guardduty:DisassociateFromMasterAccount", "guardduty:DisassociateFromAdministratorAccount",
      "guardduty:DisassociateMembers", "guardduty:DeleteMembers", "guardduty:StopMonitoringMembers",
      "guardduty:UpdateDetector", "guardduty:UpdateMalwareScanSettings", "guardduty:DeletePublishingDestination",
    ]
    resources = ["*"]

    condition {
      # The delegated administrator (security account) manages detectors through this role only.
      test     = "ArnNotLike"
      variable = "aws:PrincipalArn"
      values   = local.break_glass_principals
    }
  }

  statement {
    sid    = "DenyDisablingConfig"
    effect = "Deny"
    actions = [
      "config:DeleteConfigurationRecorder", "config:StopConfigurationRecorder", "config:DeleteDeliveryChannel",
      "config:DeleteRetentionConfiguration", "config:PutConfigurationRecorder", "config:PutDeliveryChannel",
    ]
    resources = ["*"]

    condition {
      test     = "ArnNotLike"
      variable = "aws:PrincipalArn"
      values   = local.break_glass_principals
    }
  }
}

data "aws_iam_policy_document" "region_allow_list" {
  statement {
    sid         = "DenyOutsideAllowedRegions"
    effect      = "Deny"
    not_actions = local.global_services
    resources   = ["*"]

    condition {
      test     = "StringNotEquals"
      variable = "aws:RequestedRegion"
      values   = module.config.allowed_regions
    }
  }
}

data "aws_iam_policy_document" "deny_unencrypted_s3_puts" {
  statement {
    sid       = "DenyPutObjectWithoutEncryption"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["*"]

    condition {
      # Negated operators match when the header is absent, so `required`
      # denies puts that do not name their encryption; IfExists only checks
      # the value when it is given.
      test     = var.s3_encryption_header_mode == "required" ? "StringNotEquals" : "StringNotEqualsIfExists"
      variable = "s3:x-amz-server-side-encryption"
      values   = ["aws:kms", "aws:kms:dsse", "AES256"]
    }
  }
}

data "aws_iam_policy_document" "protect_platform_roles" {
  statement {
    sid    = "DenyChangingPlatformRoles"
    effect = "Deny"
    actions = [
      "iam:AttachRolePolicy", "iam:DeleteRole", "iam:DeleteRolePermissionsBoundary", "iam:DeleteRolePolicy",
      "iam:DetachRolePolicy", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy",
      "iam:UpdateRole", "iam:UpdateRoleDescription", "iam:TagRole", "iam:UntagRole",
    ]
    resources = [
      "arn:${data.aws_partition.current.partition}:iam::*:role/${var.member_account_role_name}",
      "arn:${data.aws_partition.current.partition}:iam::*:role/${local.project}-*-admin",
      "arn:${data.aws_partition.current.partition}:iam::*:role/${local.project}-*-developer",
      "arn:${data.aws_partition.current.partition}:iam::*:role/${local.project}-*-read-only",
      "arn:${data.aws_partition.current.partition}:iam::*:role/${local.project}-*-ci-deploy",
    ]

    condition {
      test     = "ArnNotLike"
      variable = "aws:PrincipalArn"
      values   = local.break_glass_principals
    }
  }

  statement {
    sid       = "DenyChangingThePermissionsBoundary"
    effect    = "Deny"
    actions   = ["iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion"]
    resources = ["arn:${data.aws_partition.current.partition}:iam::*:policy/${local.project}-*-permissions-boundary"]

    condition {
      test     = "ArnNotLike"
      variable = "aws:PrincipalArn"
      values   = local.break_glass_principals
    }
  }
}

locals {
  scps = {
    deny-leave-organization = {
      description = "Member accounts cannot leave the organisation"
      json        = data.aws_iam_policy_document.deny_leave_organization.json
    }
    protect-security-services = {
      description = "Nobody but the organisation's access role can stop or delete CloudTrail, GuardDuty or Config"
      json        = data.aws_iam_policy_document.protect_security_services.json
    }
    region-allow-list = {
      description = "Only ${join(", ", module.config.allowed_regions)} (global services exempt)"
      json        = data.aws_iam_policy_document.region_allow_list.json
    }
    deny-unencrypted-s3-puts = {
      description = "S3 puts must request server-side encryption (${var.s3_encryption_header_mode})"
      json        = data.aws_iam_policy_document.deny_unencrypted_s3_puts.json
    }
    protect-platform-roles = {
      description = "The baseline roles and the permissions boundary change only through the organisation's access role"
      json        = data.aws_iam_policy_document.protect_platform_roles.json
    }
  }
}

resource "aws_organizations_policy" "scp" {
  for_each = local.scps

  name        = "${local.project}-${each.key}"
  description = each.value.description
  type        = "SERVICE_CONTROL_POLICY"
  content     = jsonencode(jsondecode(each.value.json)) # minified: SCPs are limited to 5,120 characters

  depends_on = [aws_organizations_organization.this]
}

# Attached at the root: every member account, present and future (SCPs never
# apply to the management account itself).
resource "aws_organizations_policy_attachment" "root" {
  for_each = local.scps

  policy_id = aws_organizations_policy.scp[each.key].id
  target_id = aws_organizations_organization.this.roots[0].id
}
