output "arn" {
  description = "ARN of the identity."
  value       = aws_sesv2_email_identity.this.arn
}

output "dkim_records" {
  description = "The CNAME records to publish: <token>._domainkey.<domain> => <token>.dkim.amazonses.com."
  value       = { for token in aws_sesv2_email_identity.this.dkim_signing_attributes[0].tokens : "${token}._domainkey.${var.domain}" => "${token}.dkim.amazonses.com" }
}
