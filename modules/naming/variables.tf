variable "project" {
  description = "Project name, the first part of every AWS name (config/platform.yaml `project`)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.project))
    error_message = "project must match ^[a-z][a-z0-9-]{1,20}$ (the same rule as platform_core/config.py)."
  }
}

variable "environment" {
  description = "Environment name (dev, staging, prod, ... as named in config/platform.yaml `environments`)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.environment))
    error_message = "environment must match ^[a-z][a-z0-9-]{1,20}$."
  }
}

variable "teams" {
  description = "Team names; every per-team name is derived for each of them."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for t in var.teams : can(regex("^[a-z][a-z0-9-]{1,20}$", t))])
    error_message = "Every team name must match ^[a-z][a-z0-9-]{1,20}$."
  }
}

variable "event_types" {
  description = "Event types (<domain>.<name>) to derive Kafka topic names for."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.event_types : can(regex("^[a-z][a-z0-9_]*\\.[a-z][a-z0-9_]*$", e))])
    error_message = "Every event type must be <domain>.<name> (^[a-z][a-z0-9_]*\\.[a-z][a-z0-9_]*$)."
  }
}

variable "account_id" {
  description = "AWS account id appended to bucket names (bucket names are global). null gives the local-runtime names without the suffix."
  type        = string
  default     = null

  validation {
    condition     = var.account_id == null || can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be a 12-digit AWS account id or null."
  }
}

variable "services" {
  description = "Declared services (platform_config `services`, reduced to what names and environments need): name => {team, tables, buckets and secrets (their short names), uses, emits, environment, mail_from (the sender address of a service that sends e-mail), sends_sms (whether it sends texts), searches (whether it declares a search domain)}."
  type = map(object({
    team        = string
    tables      = optional(list(string), [])
    buckets     = optional(list(string), [])
    secrets     = optional(list(string), [])
    uses        = optional(list(string), [])
    emits       = optional(list(string), [])
    environment = optional(map(string), {})
    mail_from   = optional(string)
    sends_sms   = optional(bool, false)
    searches    = optional(bool, false)
  }))
  default = {}

  validation {
    condition = alltrue([
      for name, s in var.services : can(regex("^[a-z][a-z0-9-]{1,20}$", name)) && alltrue([
        for short in concat(s.tables, s.buckets, s.secrets) : can(regex("^[a-z][a-z0-9-]{0,19}$", short))
      ])
    ])
    error_message = "Service names must match ^[a-z][a-z0-9-]{1,20}$ and table, bucket and secret names ^[a-z][a-z0-9-]{0,19}$ (platform_core/config.py)."
  }

  validation {
    condition     = alltrue(flatten([for s in values(var.services) : [for other in s.uses : contains(keys(var.services), other)]]))
    error_message = "A service's `uses` names a service that is not declared."
  }
}

variable "api_url" {
  description = "Base URL of the platform's ingest API (the stage URL): PLATFORM_API_URL of the services that emit events. null leaves it out (e.g. before the API exists)."
  type        = string
  default     = null
}

variable "api_clients" {
  description = "Clients of the services' authorizers (their `identity.clients`): each gets an API key and a usage plan on the REST API."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.api_clients : can(regex("^[a-z][a-z0-9-]{1,20}$", c))])
    error_message = "Client names must match ^[a-z][a-z0-9-]{1,20}$."
  }
}
