output "role_arn" {
  description = "The role API Gateway writes logs with."
  value       = aws_iam_role.logs.arn
}
