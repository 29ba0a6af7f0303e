output "role_arns" {
  description = "Team name => ARN of its team-access role."
  value       = { for team, role in aws_iam_role.team : team => role.arn }
}

output "role_names" {
  description = "Team name => name of its team-access role."
  value       = { for team, role in aws_iam_role.team : team => role.name }
}

output "policies" {
  description = "Team name => the rendered policy document (JSON) attached to its role."
  value       = { for team, policy in local.policies : team => jsonencode(policy) }
}
