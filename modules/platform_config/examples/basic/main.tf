terraform {
  required_version = ">= 1.10"
}

module "config" {
  source = "../.."

  config_yaml = file("${path.module}/../../../../config/platform.yaml")
  environment = "dev"
}

output "team_cidrs" {
  value = module.config.team_cidrs
}

output "topics" {
  value = module.config.topics
}
