variable "name" {
  description = "The service's name (its key under `services` in config/platform.yaml)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name))
    error_message = "name must match ^[a-z][a-z0-9-]{1,20}$ (platform_core/config.py)."
  }
}

variable "service" {
  description = "The service's declaration as platform_config normalises it (service_specs `services[<name>].declaration`): every optional field present."
  type = object({
    team        = string
    description = string
    handler     = string
    trigger = object({
      type        = string
      event_types = list(string)
      bucket      = string
      prefix      = string
      suffix      = string
      expression  = string
    })
    batch           = object({ size = number, window_seconds = number })
    concurrency     = number
    timeout_seconds = number
    memory_mb       = number
    tables = map(object({
      hash_key      = string
      range_key     = string
      ttl_attribute = string
      stream        = string
    }))
    buckets = map(object({
      object_lock_days = number
      expiration_days  = number
      lifecycle = list(object({
        prefix                     = string
        expiration_days            = number
        transition_ia_days         = number
        noncurrent_expiration_days = number
      }))
    }))
    secrets     = map(object({ description = string }))
    uses        = list(string)
    permissions = list(object({ actions = list(string), resources = list(string) }))
    environment = map(string)
    emits       = list(string)
    packaging   = object({ type = string, extras = list(string), debian_packages = list(string) })
    mail        = optional(object({ from_address = string, reply_to = string, domain = string, feedback = bool }))
    sms = optional(object({
      message_type = string
      feedback     = bool
      origination = optional(object({
        type        = string
        country     = string
        sender_id   = string
        number_type = string
      }))
    }))
    identity = optional(object({
      resource_server      = string
      scopes               = map(string)
      access_token_minutes = number
      clients = map(object({
        description         = string
        credential          = string
        scopes              = list(string)
        requests_per_minute = number
        burst               = number
      }))
    }))
  })

  validation {
    condition     = contains(["queue", "kafka", "s3", "schedule", "api", "authorizer"], var.service.trigger.type)
    error_message = "trigger.type must be queue, kafka, s3, schedule, api or authorizer."
  }

  validation {
    condition     = var.service.trigger.type != "schedule" || can(regex("^(rate\\(\\d+ (minute|minutes|hour|hours|day|days)\\)|cron\\([^)]+\\))$", var.service.trigger.expression))
    error_message = "A schedule trigger needs an expression rate(...) or cron(...)."
  }

  validation {
    condition     = var.service.batch.size >= 1 && var.service.batch.size <= 10000 && var.service.batch.window_seconds >= 0 && var.service.batch.window_seconds <= 300
    error_message = "batch.size must be 1-10000 and batch.window_seconds 0-300."
  }

  validation {
    condition     = contains(["zip", "image"], var.service.packaging.type)
    error_message = "packaging.type must be zip or image."
  }

  validation {
    condition = var.service.sms == null ? true : (
      contains(["TRANSACTIONAL", "PROMOTIONAL"], var.service.sms.message_type) && (
        var.service.sms.origination == null ? true : (
          can(regex("^[A-Z]{2}$", var.service.sms.origination.country)) && (
            var.service.sms.origination.type == "sender_id"
            ? can(regex("^[A-Za-z0-9]{1,11}$", var.service.sms.origination.sender_id))
            : var.service.sms.origination.type == "phone_number" && contains(["LONG_CODE", "TOLL_FREE", "TEN_DLC", "SIMULATOR"], var.service.sms.origination.number_type)
          )
        )
      )
    )
    error_message = "sms: message_type TRANSACTIONAL or PROMOTIONAL; an origination is a sender_id (1-11 letters and digits) or a phone_number (LONG_CODE, TOLL_FREE, TEN_DLC or SIMULATOR) of a country (ISO 3166 alpha-2)."
  }
}

variable "names" {
  description = "The service's names (service_specs `services[<name>].names`, from naming): function (also its role, log group and schedule), tables, buckets, secrets, inbox_queue, inbox_dlq, consumer_group, api_key_secret."
  type = object({
    function               = string
    tables                 = map(string)
    buckets                = map(string)
    secrets                = map(string)
    inbox_queue            = string
    inbox_dlq              = string
    consumer_group         = string
    api_key_secret         = string
    mail_configuration_set = string
    sms_configuration_set  = string
  })
}

variable "environment" {
  description = "The function's environment variables (service_specs `services[<name>].environment`, from naming: the contract of every declared function)."
  type        = map(string)

  validation {
    condition     = alltrue([for k in ["PLATFORM_ENV", "POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "TEAM"] : contains(keys(var.environment), k)])
    error_message = "environment must carry PLATFORM_ENV, POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE and TEAM."
  }
}

variable "statements" {
  description = "The Allow statements of the function's role besides logs and X-Ray (service_specs `services[<name>].statements`, from service_policy): [{sid, actions, resources, conditions}]."
  type = list(object({
    sid        = string
    actions    = list(string)
    resources  = list(string)
    conditions = optional(list(object({ test = string, variable = string, values = list(string) })), [])
  }))

  validation {
    condition     = alltrue([for st in var.statements : !contains(st.resources, "*") || st.sid == "MskPollerNetworkInterfaces"])
    error_message = "No statement of a service's role names Resource \"*\" (but the MSK poller's network interfaces, which take no ARN)."
  }
}

variable "artifact" {
  description = "The zip of a zip service: {s3_bucket, s3_key, s3_object_version, source_code_hash} (shared_services function_artifacts[<name>]); null for an image service."
  type = object({
    s3_bucket         = string
    s3_key            = string
    s3_object_version = string
    source_code_hash  = string
  })
  default = null
}

variable "image_digest" {
  description = "The image of an image service, by digest (sha256:..., the package manifest's functions[<name>].digest): pushed to this module's repository, the function runs <repository URL>@<digest>. null for a zip service."
  type        = string
  default     = null

  validation {
    condition     = var.service.packaging.type == "image" ? can(regex("^sha256:[a-f0-9]{64}$", coalesce(var.image_digest, "-"))) : var.artifact != null
    error_message = "A zip service needs its artifact; an image service its image_digest (make package builds the image and lists its digest in build/lambda/manifest.json)."
  }
}

variable "image_push_command" {
  description = "How to push an image service's image to its repository before its function is created or changed: a format() string taking the service name and the repository URL (modules/environment runs scripts/images.py push). null: pushed out of band."
  type        = string
  default     = null
}

variable "layers" {
  description = "Layer ARNs of a zip service: the platform's dependencies layer, then its extras layer when it declares packaging.extras."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.layers) <= 5
    error_message = "Lambda takes at most 5 layers."
  }
}

variable "team_queue" {
  description = "The team's queue of a queue-triggered service: {arn, name} (event_fanout queue_arns/queue_names[<team>])."
  type        = object({ arn = string, name = string })
  default     = null

  validation {
    condition     = var.service.trigger.type != "queue" || var.team_queue != null
    error_message = "A queue trigger needs the team's queue: the team must subscribe to at least one event type by SQS."
  }
}

variable "topics" {
  description = "Event type => Kafka topic of a kafka-triggered service's event types (one event source mapping each)."
  type        = map(string)
  default     = {}
}

variable "kafka" {
  description = "The platform's Kafka connection for a kafka trigger: bootstrap_servers, cluster_arn on MSK, and for an external cluster with SASL/SCRAM auth_secret_arn (a Secrets Manager secret {username, password})."
  type = object({
    bootstrap_servers = string
    cluster_arn       = optional(string)
    auth_secret_arn   = optional(string)
  })
  default = null
}

variable "api" {
  description = "The REST API of an api or authorizer service: {execution_arn, routes = [{method, path}]} (the routes whose x-platform-function names it)."
  type = object({
    execution_arn = string
    routes        = list(object({ method = string, path = string }))
  })
  default = null

  validation {
    condition     = !contains(["api", "authorizer"], var.service.trigger.type) || var.api != null
    error_message = "An api or authorizer service needs its REST API (api.execution_arn and its routes)."
  }
}

variable "client_api_keys" {
  description = "Client => its usage-plan API key value, for an authorizer with an identity (written to its `api-clients` secret)."
  type        = map(string)
  default     = {}
  sensitive   = true
}

variable "identity_callback_urls" {
  description = "Where the user pool may send a token client back after sign-in (the web app's callback URLs)."
  type        = list(string)
  default     = ["http://localhost:5173/callback"]

  validation {
    condition     = length(var.identity_callback_urls) > 0 && alltrue([for u in var.identity_callback_urls : can(regex("^(https://|http://localhost)", u))])
    error_message = "identity_callback_urls must be https URLs (http only for localhost)."
  }
}

variable "sqs" {
  description = "Queue settings of the S3 inbox (config `sqs`): visibility_timeout_seconds, message_retention_seconds, dlq_retention_seconds, max_receive_count."
  type = object({
    visibility_timeout_seconds = number
    message_retention_seconds  = number
    dlq_retention_seconds      = number
    max_receive_count          = number
  })
  default = {
    visibility_timeout_seconds = 60
    message_retention_seconds  = 345600
    dlq_retention_seconds      = 1209600
    max_receive_count          = 5
  }
}

variable "vpc_config" {
  description = "Run the function in a VPC: {subnet_ids, security_group_ids} (null: outside any VPC)."
  type = object({
    subnet_ids         = list(string)
    security_group_ids = list(string)
  })
  default = null
}

variable "reserve_concurrency" {
  description = "Reserve the service's declared concurrency (false: unreserved, for accounts whose Lambda concurrency quota is still the new-account default)."
  type        = bool
  default     = true
}

variable "tracing_mode" {
  description = "X-Ray mode of the function (Active or PassThrough)."
  type        = string
  default     = "Active"

  validation {
    condition     = contains(["Active", "PassThrough"], var.tracing_mode)
    error_message = "tracing_mode must be Active or PassThrough."
  }
}

variable "point_in_time_recovery" {
  description = "PITR on the service's tables (config environments.<env>.point_in_time_recovery)."
  type        = bool
  default     = true
}

variable "deletion_protection" {
  description = "Deletion protection on the service's tables and SMS origination identity (config environments.<env>.deletion_protection)."
  type        = bool
  default     = true
}

variable "force_destroy" {
  description = "Allow destroying non-empty buckets and repositories, and delete secrets without a recovery window (dev only)."
  type        = bool
  default     = false
}

variable "kms_key_arn" {
  description = "The environment's data key: tables, buckets, secrets, queues, logs, environment variables, images."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "access_log_bucket" {
  description = "Bucket receiving the S3 server access logs of the service's buckets."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the function's log group."
  type        = number
}

variable "log_subscription_destination_arn" {
  description = "Cross-account CloudWatch Logs destination of the organisation's log archive (null: none)."
  type        = string
  default     = null
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of the roles created here (iam_baseline)."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource (Team and Service are added)."
  type        = map(string)
  default     = {}
}
