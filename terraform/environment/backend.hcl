# Settings shared by every environment's state. run.sh adds the key
# (envs/<env>/terraform.tfstate), the region of config/platform.yaml and the bucket and
# KMS key made by terraform/bootstrap.
encrypt      = true
use_lockfile = true
