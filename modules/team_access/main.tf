# One role per team, allowed only its own data: its SQS queue and DLQ, its Athena workgroup and
# results prefix, its curated prefix, and read access to the catalog. The policy is a template
# (policies/team_access.json.tftpl) so tests/security/test_team_access.py renders the very same
# document and proves the isolation with a policy evaluator (moto's IAM enforcement and its own).
data "aws_partition" "current" {}

locals {
  partition = data.aws_partition.current.partition

  rendered = {
    for team, t in var.teams : team => jsondecode(templatefile("${path.module}/policies/team_access.json.tftpl", {
      team           = team
      partition      = local.partition
      region         = var.region
      account_id     = var.account_id
      kms_key_arn    = var.kms_key_arn
      curated_bucket = var.curated_bucket
      results_bucket = var.athena_results_bucket
      glue_database  = var.glue_database
      workgroup      = t.workgroup
      queue_arns     = t.queue_arns
    }))
  }

  # A team that subscribes to no SQS events has no queue: its Queue* statements would name none.
  policies = {
    for team, document in local.rendered : team => merge(document, {
      Statement = [for s in document.Statement : s if length(var.teams[team].queue_arns) > 0 || !startswith(s.Sid, "Queue")]
    })
  }
}

data "aws_iam_policy_document" "assume" {
  statement {
    sid     = "TeamMembersWithMfa"
    actions = ["sts:AssumeRole"]

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

resource "aws_iam_role" "team" {
  for_each = var.teams

  name                 = "${var.name_prefix}-${each.key}-team-access"
  description          = "Team ${each.key}: its own queue, Athena workgroup, curated prefix and results, nothing of other teams."
  assume_role_policy   = data.aws_iam_policy_document.assume.json
  permissions_boundary = var.permissions_boundary_arn
  max_session_duration = var.max_session_duration
  tags                 = merge(var.tags, { Team = each.key })
}

resource "aws_iam_role_policy" "team" {
  for_each = var.teams

  name   = "team-access"
  role   = aws_iam_role.team[each.key].id
  policy = jsonencode(local.policies[each.key])
}
