output "role_arns" {
  description = "Role ARNs by role key (admin, developer, read-only, ci-deploy)."
  value       = { for k, r in aws_iam_role.this : k => r.arn }
}

output "permissions_boundary_arn" {
  description = "ARN of the permissions boundary every platform role must carry (pass it to the other modules)."
  value       = aws_iam_policy.boundary.arn
}

output "github_oidc_provider_arn" {
  description = "ARN of the GitHub OIDC provider used by the CI role (null without GitHub)."
  value       = local.github_oidc
}
