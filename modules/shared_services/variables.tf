variable "name_prefix" {
  description = "<project>-<env>: prefix of every name."
  type        = string
}

variable "names" {
  description = "The naming module's `shared` output (artifacts_bucket, glue_database, dependencies_layer, ...)."
  type        = map(string)
}

variable "kms_key_arn" {
  description = "The environment's data key (security module)."
  type        = string
}

variable "access_log_bucket" {
  description = "Bucket receiving S3 server access logs."
  type        = string
}

variable "force_destroy" {
  description = "Allow destroying non-empty buckets and workgroups (dev only)."
  type        = bool
  default     = false
}

variable "log_retention_days" {
  description = "Retention of the module's CloudWatch log groups (config environments.<env>.log_retention_days)."
  type        = number

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ..., 3653)."
  }
}

variable "log_subscription_destination_arn" {
  description = "Cross-account CloudWatch Logs destination of the organisation's log archive (central_logging log_destination_arn); null: no subscription."
  type        = string
  default     = null
}

# --- Lambda artifacts ------------------------------------------------------------
variable "artifacts_dir" {
  description = "Directory holding the `make package` outputs (build/lambda): dependencies-layer.zip and one zip per function."
  type        = string
}

variable "function_artifacts" {
  description = "Function => zip file in artifacts_dir, as the package manifest lists them: the platform's functions (ingest, fanout, kafka-bridge) and every zip service (<service>.zip)."
  type        = map(string)

  validation {
    condition     = alltrue([for f in values(var.function_artifacts) : endswith(f, ".zip")])
    error_message = "function_artifacts must name .zip files."
  }
}

variable "extra_layers" {
  description = "Layer => {artifact (zip file in artifacts_dir), layer_name} of the layers beyond the dependencies layer: one per set of packaging.extras the zip services declare (layers/<extras>.zip in the package manifest)."
  type        = map(object({ artifact = string, layer_name = string }))
  default     = {}

  validation {
    condition     = alltrue([for l in values(var.extra_layers) : endswith(l.artifact, ".zip")])
    error_message = "extra_layers must name .zip artifacts."
  }
}

variable "layer_artifact" {
  description = "File name of the dependencies layer zip in artifacts_dir."
  type        = string
  default     = "dependencies-layer.zip"
}

variable "lambda_runtime" {
  description = "Lambda runtime of the layer and the functions."
  type        = string
  default     = "python3.12"
}

variable "lambda_architecture" {
  description = "Lambda architecture the layer was built for (x86_64 or arm64)."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.lambda_architecture)
    error_message = "lambda_architecture must be x86_64 or arm64."
  }
}

# --- Athena ------------------------------------------------------------------------
variable "workgroups" {
  description = "Athena workgroup key (a team, or `platform` for the pipeline's own checks) => workgroup name."
  type        = map(string)
}

variable "athena_results_bucket" {
  description = "Bucket holding Athena query results (data_lake output); each workgroup writes under <key>/."
  type        = string
}

variable "athena_bytes_scanned_cutoff" {
  description = "Per-query bytes-scanned limit of every workgroup (config lake.athena_bytes_scanned_cutoff)."
  type        = number

  validation {
    condition     = var.athena_bytes_scanned_cutoff >= 10485760
    error_message = "Athena's minimum cutoff is 10 MB (10485760 bytes)."
  }
}

# --- Kafka -------------------------------------------------------------------------
variable "kafka_mode" {
  description = "msk: create a small shared MSK cluster (IAM auth, TLS); external: use external_bootstrap_servers."
  type        = string

  validation {
    condition     = contains(["msk", "external"], var.kafka_mode)
    error_message = "kafka_mode must be msk or external."
  }
}

variable "external_bootstrap_servers" {
  description = "host:port,... of an external Kafka cluster (kafka_mode = external)."
  type        = string
  default     = ""
}

variable "external_security_protocol" {
  description = "Security protocol of the external cluster, as the kafka-bridge supports them: SASL_SSL (OAUTHBEARER with AWS IAM tokens, i.e. an MSK-compatible cluster) or PLAINTEXT (a private cluster on a trusted network)."
  type        = string
  default     = "SASL_SSL"

  validation {
    condition     = contains(["SASL_SSL", "PLAINTEXT"], var.external_security_protocol)
    error_message = "external_security_protocol must be SASL_SSL or PLAINTEXT (what platform_core/kafka.py supports)."
  }
}

variable "kafka_topics" {
  description = "Topic name => {partitions, retention_hours}, created on the MSK cluster (kafka_mode = msk)."
  type        = map(object({ partitions = number, retention_hours = number }))
  default     = {}
}

variable "kafka_replication_factor" {
  description = "Requested topic replication factor (config kafka.replication_factor); capped at the broker count."
  type        = number
  default     = 3
}

variable "msk_vpc_id" {
  description = "VPC of the MSK cluster (the shared-services VPC)."
  type        = string
  default     = null
}

variable "msk_subnet_ids" {
  description = "Private subnets of the MSK brokers (one broker per subnet)."
  type        = list(string)
  default     = []
}

variable "msk_client_cidrs" {
  description = "CIDRs allowed to reach the brokers on 9098 (IAM over TLS)."
  type        = list(string)
  default     = []
}

variable "msk_instance_type" {
  description = "Broker instance type (kafka.t3.small is the smallest)."
  type        = string
  default     = "kafka.t3.small"
}

variable "msk_kafka_version" {
  description = "Apache Kafka version of the MSK cluster (3.6.0 or later: aws_msk_topic uses the MSK topic APIs, which need it)."
  type        = string
  default     = "3.6.0"

  validation {
    condition     = can(regex("^(3\\.([6-9]|[1-9][0-9])|[4-9])\\.", var.msk_kafka_version))
    error_message = "msk_kafka_version must be 3.6.0 or later (MSK topic APIs)."
  }
}

variable "msk_volume_size_gb" {
  description = "EBS volume per broker, in GiB."
  type        = number
  default     = 10
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary for roles created here (iam_baseline)."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
