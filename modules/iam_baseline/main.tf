data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  prefix     = "${var.project}-${var.environment}"
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  arn_iam    = "arn:${local.partition}:iam::${local.account_id}"

  roles = {
    admin     = "Administers the ${var.environment} workload account (PowerUserAccess + IAM for ${local.prefix}-* roles), MFA required"
    developer = "Reads everything and operates the ${local.prefix} resources (invoke, replay, query), MFA required"
    read-only = "Reads configuration and metrics (ReadOnlyAccess), MFA required"
    ci-deploy = "Deploys the ${var.environment} stack from CI (terraform apply)"
  }

  boundary_name = "${local.prefix}-permissions-boundary"
  boundary_arn  = "${local.arn_iam}:policy/${local.boundary_name}"
  github_oidc   = var.github_repository == null ? null : coalesce(var.github_oidc_provider_arn, try(aws_iam_openid_connect_provider.github[0].arn, null))
}

# --- Permissions boundary: the ceiling of every role the platform creates -----
data "aws_iam_policy_document" "boundary" {
  #checkov:skip=CKV_AWS_111:A permissions boundary is a ceiling, not a grant: it lists the services the platform uses; the roles' own policies are scoped.
  #checkov:skip=CKV_AWS_356:A permissions boundary is a ceiling, not a grant: Resource "*" does not give access by itself.
  #checkov:skip=CKV_AWS_109:A permissions boundary is a ceiling, not a grant; IAM writes are further limited below to <prefix>-* roles carrying this boundary.
  #checkov:skip=CKV_AWS_108:A permissions boundary is a ceiling, not a grant; data access is granted per resource by the roles' policies.
  #checkov:skip=CKV_AWS_110:Privilege escalation is prevented by the explicit denies below (boundary cannot be removed or edited, new roles must carry it).
  #checkov:skip=CKV_AWS_107:A permissions boundary is a ceiling, not a grant; credentials exposure actions are not in the service list.
  statement {
    sid = "PlatformServices"
    actions = [
      "apigateway:*", "application-autoscaling:*", "athena:*", "cloudwatch:*", "dynamodb:*", "ec2:*",
      "events:*", "firehose:*", "glue:*", "kafka:*", "kafka-cluster:*", "kms:*", "lambda:*", "logs:*",
      "s3:*", "scheduler:*", "sns:*", "sqs:*", "states:*", "tag:*", "xray:*",
      "cloudtrail:LookupEvents", "guardduty:Get*", "guardduty:List*", "health:Describe*",
      "iam:Get*", "iam:List*", "iam:PassRole", "sts:GetCallerIdentity", "ssm:GetParameter*",
    ]
    resources = ["*"]
  }

  statement {
    sid = "ManagePlatformRolesThatCarryThisBoundary"
    actions = [
      "iam:CreateRole", "iam:PutRolePermissionsBoundary", "iam:AttachRolePolicy", "iam:DetachRolePolicy",
      "iam:PutRolePolicy", "iam:DeleteRolePolicy",
    ]
    resources = ["${local.arn_iam}:role/${local.prefix}-*"]

    condition {
      test     = "StringEquals"
      variable = "iam:PermissionsBoundary"
      values   = [local.boundary_arn]
    }
  }

  statement {
    sid = "ManagePlatformRoles"
    actions = [
      "iam:DeleteRole", "iam:TagRole", "iam:UntagRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy",
      "iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:TagPolicy",
      "iam:CreateServiceLinkedRole",
    ]
    resources = [
      "${local.arn_iam}:role/${local.prefix}-*",
      "${local.arn_iam}:policy/${local.prefix}-*",
      "${local.arn_iam}:role/aws-service-role/*",
    ]
  }

  statement {
    sid    = "BoundaryAndBaselineAreImmutable"
    effect = "Deny"
    actions = [
      "iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion",
    ]
    resources = [local.boundary_arn]
  }

  statement {
    sid       = "NoBoundaryRemoval"
    effect    = "Deny"
    actions   = ["iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary"]
    resources = ["*"]
  }

  statement {
    sid       = "BaselineRolesAreManagedByTheOrganizationOnly"
    effect    = "Deny"
    actions   = ["iam:*"]
    resources = [for r in keys(local.roles) : "${local.arn_iam}:role/${local.prefix}-${r}"]
  }

  statement {
    sid       = "NoLongLivedCredentials"
    effect    = "Deny"
    actions   = ["iam:CreateUser", "iam:CreateAccessKey", "iam:CreateLoginProfile"]
    resources = ["*"]
  }

  statement {
    sid       = "NoTamperingWithSecurityServices"
    effect    = "Deny"
    actions   = ["cloudtrail:DeleteTrail", "cloudtrail:StopLogging", "cloudtrail:UpdateTrail", "guardduty:DeleteDetector", "guardduty:DisassociateFromMasterAccount", "guardduty:DisassociateFromAdministratorAccount", "guardduty:UpdateDetector"]
    resources = ["*"]
  }
}

resource "aws_iam_policy" "boundary" {
  name        = local.boundary_name
  description = "Permissions boundary of every ${local.prefix} role: the services the platform uses, IAM only for ${local.prefix}-* roles that carry this boundary."
  policy      = data.aws_iam_policy_document.boundary.json
  tags        = var.tags
}

# --- Trust policies ------------------------------------------------------------
data "aws_iam_policy_document" "human_trust" {
  statement {
    actions = ["sts:AssumeRole", "sts:SetSourceIdentity"]

    principals {
      type        = "AWS"
      identifiers = var.trusted_principal_arns
    }

    condition {
      test     = "Bool"
      variable = "aws:MultiFactorAuthPresent"
      values   = ["true"]
    }
  }
}

resource "aws_iam_openid_connect_provider" "github" {
  count = var.github_repository != null && var.github_oidc_provider_arn == null ? 1 : 0

  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
  tags           = var.tags
}

data "aws_iam_policy_document" "ci_trust" {
  dynamic "statement" {
    for_each = length(var.ci_principal_arns) > 0 ? [1] : []

    content {
      sid     = "CiRunner"
      actions = ["sts:AssumeRole"]

      principals {
        type        = "AWS"
        identifiers = var.ci_principal_arns
      }
    }
  }

  dynamic "statement" {
    for_each = var.github_repository != null ? [1] : []

    content {
      sid     = "GitHubActions"
      actions = ["sts:AssumeRoleWithWebIdentity"]

      principals {
        type        = "Federated"
        identifiers = [local.github_oidc]
      }

      condition {
        test     = "StringEquals"
        variable = "token.actions.githubusercontent.com:aud"
        values   = ["sts.amazonaws.com"]
      }

      condition {
        test     = "StringLike"
        variable = "token.actions.githubusercontent.com:sub"
        values   = length(var.ci_allowed_refs) > 0 ? var.ci_allowed_refs : ["repo:${var.github_repository}:environment:${var.environment}"]
      }
    }
  }
}

# --- Roles -----------------------------------------------------------------------
resource "aws_iam_role" "this" {
  for_each = local.roles

  name                 = "${local.prefix}-${each.key}"
  description          = each.value
  assume_role_policy   = each.key == "ci-deploy" ? data.aws_iam_policy_document.ci_trust.json : data.aws_iam_policy_document.human_trust.json
  permissions_boundary = aws_iam_policy.boundary.arn
  max_session_duration = var.max_session_duration
  tags                 = var.tags

  lifecycle {
    precondition {
      condition     = each.key != "ci-deploy" || length(var.ci_principal_arns) > 0 || var.github_repository != null
      error_message = "The CI deploy role needs ci_principal_arns or github_repository."
    }
  }
}

locals {
  managed_policies = {
    "admin/power-user"     = { role = "admin", arn = "arn:${local.partition}:iam::aws:policy/PowerUserAccess" }
    "developer/read-only"  = { role = "developer", arn = "arn:${local.partition}:iam::aws:policy/ReadOnlyAccess" }
    "read-only/read-only"  = { role = "read-only", arn = "arn:${local.partition}:iam::aws:policy/ReadOnlyAccess" }
    "ci-deploy/power-user" = { role = "ci-deploy", arn = "arn:${local.partition}:iam::aws:policy/PowerUserAccess" }
  }
}

resource "aws_iam_role_policy_attachment" "managed" {
  for_each = local.managed_policies

  role       = aws_iam_role.this[each.value.role].name
  policy_arn = each.value.arn
}

# Admin and CI may manage the platform's own roles, always with the boundary.
data "aws_iam_policy_document" "platform_iam" {
  statement {
    sid = "CreatePlatformRolesWithTheBoundary"
    actions = [
      "iam:CreateRole", "iam:PutRolePermissionsBoundary", "iam:AttachRolePolicy", "iam:DetachRolePolicy",
      "iam:PutRolePolicy", "iam:DeleteRolePolicy",
    ]
    resources = ["${local.arn_iam}:role/${local.prefix}-*"]

    condition {
      test     = "StringEquals"
      variable = "iam:PermissionsBoundary"
      values   = [aws_iam_policy.boundary.arn]
    }
  }

  statement {
    sid = "ManagePlatformRolesAndPolicies"
    actions = [
      "iam:DeleteRole", "iam:TagRole", "iam:UntagRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy",
      "iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole",
      "iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:TagPolicy",
      "iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions",
    ]
    resources = [
      "${local.arn_iam}:role/${local.prefix}-*",
      "${local.arn_iam}:policy/${local.prefix}-*",
    ]
  }

  statement {
    sid       = "PassPlatformRolesToServices"
    actions   = ["iam:PassRole"]
    resources = ["${local.arn_iam}:role/${local.prefix}-*"]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["lambda.amazonaws.com", "glue.amazonaws.com", "states.amazonaws.com", "apigateway.amazonaws.com", "events.amazonaws.com", "scheduler.amazonaws.com", "firehose.amazonaws.com", "vpc-flow-logs.amazonaws.com"]
    }
  }

  statement {
    sid       = "ServiceLinkedRoles"
    actions   = ["iam:CreateServiceLinkedRole"]
    resources = ["${local.arn_iam}:role/aws-service-role/*"]
  }
}

resource "aws_iam_policy" "platform_iam" {
  name        = "${local.prefix}-platform-iam"
  description = "IAM for ${local.prefix}-* roles only, always with the permissions boundary."
  policy      = data.aws_iam_policy_document.platform_iam.json
  tags        = var.tags
}

resource "aws_iam_role_policy_attachment" "platform_iam" {
  for_each = toset(["admin", "ci-deploy"])

  role       = aws_iam_role.this[each.key].name
  policy_arn = aws_iam_policy.platform_iam.arn
}

# Developers operate the platform's resources of this environment, nothing else.
data "aws_iam_policy_document" "developer" {
  statement {
    sid       = "InvokeAndInspectFunctions"
    actions   = ["lambda:InvokeFunction", "lambda:GetFunction", "lambda:GetFunctionConfiguration"]
    resources = ["arn:${local.partition}:lambda:*:${local.account_id}:function:${local.prefix}-*"]
  }

  statement {
    sid       = "OperateQueues"
    actions   = ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:StartMessageMoveTask", "sqs:ListMessageMoveTasks", "sqs:CancelMessageMoveTask", "sqs:GetQueueAttributes"]
    resources = ["arn:${local.partition}:sqs:*:${local.account_id}:${local.prefix}-*"]
  }

  statement {
    sid       = "QueryTheLake"
    actions   = ["athena:StartQueryExecution", "athena:StopQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults", "athena:GetWorkGroup", "athena:GetNamedQuery", "athena:ListNamedQueries"]
    resources = ["arn:${local.partition}:athena:*:${local.account_id}:workgroup/${local.prefix}-*"]
  }

  statement {
    sid       = "RunThePipeline"
    actions   = ["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "states:StartExecution", "states:DescribeExecution"]
    resources = ["arn:${local.partition}:glue:*:${local.account_id}:job/${local.prefix}-*", "arn:${local.partition}:states:*:${local.account_id}:stateMachine:${local.prefix}-*", "arn:${local.partition}:states:*:${local.account_id}:execution:${local.prefix}-*:*"]
  }

  statement {
    sid       = "ReadAndReplayTheLake"
    actions   = ["s3:GetObject", "s3:ListBucket", "s3:PutObject"]
    resources = ["arn:${local.partition}:s3:::${local.prefix}-*", "arn:${local.partition}:s3:::${local.prefix}-*/*"]
  }

  statement {
    sid       = "DecryptPlatformData"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = ["arn:${local.partition}:kms:*:${local.account_id}:key/*"]

    condition {
      test     = "ForAnyValue:StringLike"
      variable = "kms:ResourceAliases"
      values   = ["alias/${local.prefix}-*"]
    }
  }
}

resource "aws_iam_policy" "developer" {
  name        = "${local.prefix}-developer"
  description = "Operate the ${local.prefix} resources: invoke, redrive, query, run the lake pipeline."
  policy      = data.aws_iam_policy_document.developer.json
  tags        = var.tags
}

resource "aws_iam_role_policy_attachment" "developer" {
  role       = aws_iam_role.this["developer"].name
  policy_arn = aws_iam_policy.developer.arn
}
