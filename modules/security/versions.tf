terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
      # aws: the account this module secures (an environment's workload account,
      # or the security account for the organisation-wide GuardDuty set-up).
      # aws.management: the organisation's management account; only used when
      # guardduty_organization_admin is true (pass aws again otherwise).
      configuration_aliases = [aws.management]
    }
  }
}
