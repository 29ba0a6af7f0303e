key          = "envs/staging/terraform.tfstate"
region       = "eu-west-1"
encrypt      = true
use_lockfile = true
