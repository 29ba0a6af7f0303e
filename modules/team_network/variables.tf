variable "name" {
  description = "VPC name (<project>-<env>-<team>-vpc); also the prefix of its subnets and route tables."
  type        = string
}

variable "cidr_block" {
  description = "VPC CIDR, from platform_config's team_cidrs (never overlapping another team or environment)."
  type        = string

  validation {
    condition     = can(cidrhost(var.cidr_block, 0))
    error_message = "cidr_block must be a valid IPv4 CIDR."
  }
}

variable "private_subnet_cidrs" {
  description = "One private subnet CIDR per availability zone (platform_config team_subnets[team].private)."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_cidrs) >= 2
    error_message = "At least two private subnets (two AZs) are required."
  }
}

variable "public_subnet_cidrs" {
  description = "One public subnet CIDR per availability zone; only created when enable_nat_gateway is true."
  type        = list(string)
  default     = []
}

variable "availability_zones" {
  description = "Availability zones to use, same length as private_subnet_cidrs (null: the first N available zones of the region)."
  type        = list(string)
  default     = null
}

variable "enable_nat_gateway" {
  description = "Create public subnets, an internet gateway and ONE NAT gateway (about 35 USD/month: off by default; the Lambdas reach AWS through gateway endpoints or run outside the VPC)."
  type        = bool
  default     = false
}

variable "flow_log_destination_arn" {
  description = "S3 ARN (bucket or bucket/prefix) of the central log archive that receives the VPC flow logs; null disables flow logs."
  type        = string
  default     = null
}

variable "flow_log_traffic_type" {
  description = "Traffic captured by the flow logs: ACCEPT, REJECT or ALL."
  type        = string
  default     = "ALL"

  validation {
    condition     = contains(["ACCEPT", "REJECT", "ALL"], var.flow_log_traffic_type)
    error_message = "flow_log_traffic_type must be ACCEPT, REJECT or ALL."
  }
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
