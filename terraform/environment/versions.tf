terraform {
  # >= 1.10: the S3 backend's native locking (use_lockfile), no DynamoDB lock table.
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # Checked offline against the hashicorp/aws 6.69.1 schema (scripts/terraform).
      version = "~> 6.0"
    }
  }
}
