key          = "org-baseline/terraform.tfstate"
region       = "eu-west-1"
encrypt      = true
use_lockfile = true
