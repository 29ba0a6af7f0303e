variable "config_yaml" {
  description = "Contents of config/platform.yaml (pass file(\"<repo>/config/platform.yaml\")). The one source of truth; nothing here is configured twice."
  type        = string

  validation {
    condition     = can(yamldecode(var.config_yaml).project) && can(yamldecode(var.config_yaml).teams) && can(yamldecode(var.config_yaml).environments)
    error_message = "config_yaml must be YAML with at least project, environments and teams."
  }

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", yamldecode(var.config_yaml).project))
    error_message = "project must match ^[a-z][a-z0-9-]{1,20}$."
  }

  validation {
    condition = alltrue([
      for name in concat(keys(yamldecode(var.config_yaml).teams), keys(yamldecode(var.config_yaml).environments)) :
      can(regex("^[a-z][a-z0-9-]{1,20}$", name))
    ])
    error_message = "Team and environment names must match ^[a-z][a-z0-9-]{1,20}$."
  }

  validation {
    # Every produced event type is <domain>.<name> and produced by exactly one team.
    condition = alltrue([
      for et in flatten([for t in values(yamldecode(var.config_yaml).teams) : t.produces]) :
      can(regex("^[a-z][a-z0-9_]*\\.[a-z][a-z0-9_]*$", et))
      ]) && length(flatten([for t in values(yamldecode(var.config_yaml).teams) : t.produces])) == length(distinct(flatten([
        for t in values(yamldecode(var.config_yaml).teams) : t.produces
    ])))
    error_message = "Every event type in teams.*.produces must be <domain>.<name> and produced by exactly one team."
  }

  validation {
    # Subscriptions and kafka.topics only name event types somebody produces.
    condition = length(setsubtract(
      toset(concat(
        flatten([for t in values(yamldecode(var.config_yaml).teams) : concat(try(t.subscriptions.sqs, []), try(t.subscriptions.kafka, []))]),
        keys(try(yamldecode(var.config_yaml).kafka.topics, {}))
      )),
      toset(flatten([for t in values(yamldecode(var.config_yaml).teams) : t.produces]))
    )) == 0
    error_message = "A subscription (teams.*.subscriptions) or kafka.topics entry names an event type nobody produces."
  }

  validation {
    condition     = contains(yamldecode(var.config_yaml).allowed_regions, yamldecode(var.config_yaml).region)
    error_message = "region must be one of allowed_regions."
  }

  validation {
    condition     = contains(["msk", "external"], yamldecode(var.config_yaml).kafka.mode)
    error_message = "kafka.mode must be msk or external."
  }

  validation {
    condition     = yamldecode(var.config_yaml).lake.athena_bytes_scanned_cutoff >= 10485760
    error_message = "lake.athena_bytes_scanned_cutoff must be at least 10485760 (Athena's minimum)."
  }
}

variable "environment" {
  description = "The environment to select (a key of `environments`), or null for organisation-level roots that need no environment."
  type        = string
  default     = null

  validation {
    condition     = var.environment == null || contains(keys(try(yamldecode(var.config_yaml).environments, {})), coalesce(var.environment, "-"))
    error_message = "environment is not one of the environments in config/platform.yaml."
  }
}

variable "environment_slot_bits" {
  description = "Bits of the network supernet reserved for the environment index: 2 gives up to 4 environments, each with its own non-overlapping block of team VPCs. Changing it moves every VPC."
  type        = number
  default     = 2

  validation {
    condition     = var.environment_slot_bits >= 0 && var.environment_slot_bits <= 4
    error_message = "environment_slot_bits must be between 0 and 4."
  }
}

variable "subnet_newbits" {
  description = "Bits added to a team VPC's prefix for each subnet (4: a /20 VPC gets /24 subnets; private subnets take indexes 0..7, public ones 8..15)."
  type        = number
  default     = 4

  validation {
    condition     = var.subnet_newbits >= 2 && var.subnet_newbits <= 8
    error_message = "subnet_newbits must be between 2 and 8."
  }
}
