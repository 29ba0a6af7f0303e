# One root for every environment: one workload account each, one state each
# (envs/<env>/terraform.tfstate), selected by `make plan ENV=<env>`. Everything is derived
# from config/platform.yaml (environments.<env> for the sizes) by modules/environment; what
# differs per account (Kafka cluster, alert e-mails, CI) is in envs/<env>.tfvars.
module "config" {
  source = "../../modules/platform_config"

  config_yaml = file(var.config_path)
  environment = var.environment
}

data "terraform_remote_state" "org" {
  backend = "s3"

  config = {
    bucket = var.state_bucket
    key    = "org/terraform.tfstate"
    region = module.config.region
  }
}

data "terraform_remote_state" "org_baseline" {
  count   = var.archive_logs ? 1 : 0
  backend = "s3"

  config = {
    bucket = var.state_bucket
    key    = "org-baseline/terraform.tfstate"
    region = module.config.region
  }
}

locals {
  org        = data.terraform_remote_state.org.outputs
  baseline   = var.archive_logs ? data.terraform_remote_state.org_baseline[0].outputs : null
  account_id = local.org.accounts[var.environment].id
}

module "platform" {
  source = "../../modules/environment"

  config_yaml                      = file(var.config_path)
  environment                      = var.environment
  repo_root                        = "${path.root}/../.."
  trusted_principal_arns           = length(var.trusted_principal_arns) > 0 ? var.trusted_principal_arns : ["arn:aws:iam::${local.org.management_account_id}:root"]
  ci_principal_arns                = var.ci_principal_arns
  github_repository                = var.github_repository
  alert_emails                     = var.alert_emails
  kafka_bootstrap_servers          = var.kafka_bootstrap_servers
  kafka_security_protocol          = var.kafka_security_protocol
  log_subscription_destination_arn = try(local.baseline.log_destination_arn, null)
  flow_logs_destination_arn        = try(local.baseline.flow_logs_destination_arn, null)
  reserve_lambda_concurrency       = var.reserve_lambda_concurrency
  fanout_tracing_mode              = var.fanout_tracing_mode
}
