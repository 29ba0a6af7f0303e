# Partial configuration: scripts/terraform/run.sh passes backend.hcl plus the
# bucket and KMS key created by terraform/bootstrap (S3 native locking).
terraform {
  backend "s3" {}
}
