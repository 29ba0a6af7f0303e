terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
      # aws: the organisation's management account (the organisation trail).
      # aws.log_archive: the log-archive account (bucket, key, Firehose, log destination).
      configuration_aliases = [aws.log_archive]
    }
  }
}
