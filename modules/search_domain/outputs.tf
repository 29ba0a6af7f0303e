output "name" {
  description = "The domain's name."
  value       = aws_opensearch_domain.this.domain_name
}

output "arn" {
  description = "The domain's ARN (append /* for its indexes in IAM policies)."
  value       = aws_opensearch_domain.this.arn
}

output "endpoint" {
  description = "The domain's HTTPS endpoint, as the functions' OPENSEARCH_ENDPOINT."
  value       = "https://${aws_opensearch_domain.this.endpoint}"
}
