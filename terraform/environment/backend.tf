# Partial configuration: one state per environment, envs/<env>/terraform.tfstate in the
# bucket made by terraform/bootstrap. scripts/terraform/run.sh passes backend.hcl plus the
# key, bucket and KMS key; by hand:
#   terraform init -reconfigure -backend-config=backend.hcl \
#     -backend-config=key=envs/dev/terraform.tfstate -backend-config=bucket=... -backend-config=kms_key_id=...
terraform {
  backend "s3" {}
}
