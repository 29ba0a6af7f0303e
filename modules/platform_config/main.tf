locals {
  config = yamldecode(var.config_yaml)

  # --- Declaration order -----------------------------------------------------
  # yamldecode() returns maps, and Terraform iterates maps in key order, which
  # would renumber every team's CIDR when a team whose name sorts first is
  # added. The configuration promises allocation "in the order teams are
  # listed", so the order is read from the text of the file: the two-space
  # indented keys of the top-level `teams:` and `environments:` sections.
  # The result is checked against the decoded keys (see outputs.tf): a file
  # written in another style fails loudly instead of renumbering.
  text = "\n${replace(var.config_yaml, "\r\n", "\n")}"
  section_lines = {
    for section in ["teams", "environments"] :
    section => split("\n", try(split("\n${section}:", local.text)[1], ""))
  }
  section_end = {
    for section, lines in local.section_lines :
    section => try(min([for i, l in lines : i if i > 0 && can(regex("^[^\\s#]", l))]...), length(lines))
  }
  section_keys = {
    for section, lines in local.section_lines :
    section => [
      for l in slice(lines, min(1, length(lines)), local.section_end[section]) :
      regex("^  ([a-z][a-z0-9-]*):", l)[0] if can(regex("^  ([a-z][a-z0-9-]*):", l))
    ]
  }
  team_order_ok        = length(local.section_keys.teams) == length(keys(local.config.teams)) && length(setsubtract(toset(keys(local.config.teams)), toset(local.section_keys.teams))) == 0
  environment_order_ok = length(local.section_keys.environments) == length(keys(local.config.environments)) && length(setsubtract(toset(keys(local.config.environments)), toset(local.section_keys.environments))) == 0
  team_names           = local.team_order_ok ? local.section_keys.teams : sort(keys(local.config.teams))
  environment_names    = local.environment_order_ok ? local.section_keys.environments : sort(keys(local.config.environments))

  # --- Teams (normalised: every optional field present) ----------------------
  teams = {
    for name, t in local.config.teams : name => {
      description = try(t.description, "")
      api = {
        rate_limit    = t.api.rate_limit
        burst_limit   = t.api.burst_limit
        quota_per_day = t.api.quota_per_day
      }
      produces = try(t.produces, [])
      subscriptions = {
        sqs   = try(t.subscriptions.sqs, [])
        kafka = try(t.subscriptions.kafka, [])
      }
    }
  }

  event_types = tolist(flatten([for name in local.team_names : local.teams[name].produces]))
  producer_of = merge([for name in local.team_names : { for et in local.teams[name].produces : et => name }]...)

  sqs_subscriptions    = { for name in local.team_names : name => local.teams[name].subscriptions.sqs if length(local.teams[name].subscriptions.sqs) > 0 }
  sqs_subscriber_teams = tolist([for name in local.team_names : name if length(local.teams[name].subscriptions.sqs) > 0])
  sqs_subscribers      = { for et in local.event_types : et => tolist([for name in local.team_names : name if contains(local.teams[name].subscriptions.sqs, et)]) }
  kafka_subscribers    = { for et in local.event_types : et => tolist([for name in local.team_names : name if contains(local.teams[name].subscriptions.kafka, et)]) }
  # Published to Kafka: the event types with at least one Kafka subscriber (config.py kafka_event_types).
  kafka_event_types = tolist([for et in local.event_types : et if length(local.kafka_subscribers[et]) > 0])

  kafka = {
    mode                    = local.config.kafka.mode
    default_partitions      = local.config.kafka.default_partitions
    default_retention_hours = local.config.kafka.default_retention_hours
    replication_factor      = local.config.kafka.replication_factor
  }
  topic_overrides = try(local.config.kafka.topics, {})
  topics = {
    for et in local.kafka_event_types : et => {
      partitions      = try(local.topic_overrides[et].partitions, null) != null ? local.topic_overrides[et].partitions : local.kafka.default_partitions
      retention_hours = try(local.topic_overrides[et].retention_hours, null) != null ? local.topic_overrides[et].retention_hours : local.kafka.default_retention_hours
      subscribers     = local.kafka_subscribers[et]
    }
  }

  # --- Network: one VPC per team and environment, never overlapping ----------
  supernet           = local.config.network.supernet
  supernet_prefix    = tonumber(split("/", local.supernet)[1])
  team_prefix_length = local.config.network.team_prefix_length
  team_bits          = local.team_prefix_length - local.supernet_prefix - var.environment_slot_bits
  az_count           = local.config.network.availability_zones

  environment_blocks = {
    for i, env in local.environment_names : env => cidrsubnet(local.supernet, var.environment_slot_bits, i)
  }
  all_team_cidrs = merge([
    for env in local.environment_names : {
      for i, team in local.team_names : "${env}/${team}" => cidrsubnet(local.environment_blocks[env], local.team_bits, i)
    }
  ]...)
  all_team_subnets = {
    for key, cidr in local.all_team_cidrs : key => {
      private = [for az in range(local.az_count) : cidrsubnet(cidr, var.subnet_newbits, az)]
      public  = [for az in range(local.az_count) : cidrsubnet(cidr, var.subnet_newbits, pow(2, var.subnet_newbits - 1) + az)]
    }
  }

  # The last slot of each environment block is the shared-services VPC (the
  # optional MSK cluster and the Lambdas that reach it); teams fill from slot 0.
  all_shared_cidrs = {
    for env in local.environment_names : env => cidrsubnet(local.environment_blocks[env], local.team_bits, pow(2, local.team_bits) - 1)
  }
  all_shared_subnets = {
    for env, cidr in local.all_shared_cidrs : env => {
      private = [for az in range(local.az_count) : cidrsubnet(cidr, var.subnet_newbits, az)]
      public  = [for az in range(local.az_count) : cidrsubnet(cidr, var.subnet_newbits, pow(2, var.subnet_newbits - 1) + az)]
    }
  }

  environment    = var.environment == null ? null : local.config.environments[var.environment]
  shared_cidr    = var.environment == null ? null : local.all_shared_cidrs[var.environment]
  shared_subnets = var.environment == null ? null : local.all_shared_subnets[var.environment]
  team_cidrs     = var.environment == null ? {} : { for team in local.team_names : team => local.all_team_cidrs["${var.environment}/${team}"] }
  team_subnets = var.environment == null ? {} : {
    for team in local.team_names : team => local.all_team_subnets["${var.environment}/${team}"]
  }

  # --- Services: the Lambdas teams run, each declared once (platform_core/config.py Service) -----
  # Normalised with every optional field present and the defaults of the Python model, so the
  # modules downstream read one shape. Validation (references, names) is the Python model's job
  # and config tests'; here only what Terraform needs to refuse to build is checked (outputs.tf).
  services = {
    for name, s in try(local.config.services, {}) : name => {
      team        = s.team
      description = s.description
      handler     = s.handler
      # The function's own Python package: the handler path without <module>.<function>.
      package = join(".", slice(split(".", s.handler), 0, length(split(".", s.handler)) - 2))
      trigger = {
        type        = s.trigger.type
        event_types = tolist(try(s.trigger.event_types, []))
        bucket      = try(s.trigger.bucket, null)
        prefix      = try(s.trigger.prefix, "")
        suffix      = try(s.trigger.suffix, "")
        expression  = try(s.trigger.expression, null)
      }
      batch = {
        size           = try(s.batch.size, 10)
        window_seconds = try(s.batch.window_seconds, 0)
      }
      concurrency     = try(s.concurrency, 2)
      timeout_seconds = try(s.timeout_seconds, 30)
      memory_mb       = try(s.memory_mb, 256)
      tables = {
        for short, t in try(s.tables, {}) : short => {
          hash_key      = t.hash_key
          range_key     = try(t.range_key, null)
          ttl_attribute = try(t.ttl_attribute, null)
          stream        = try(t.stream, null)
        }
      }
      buckets = {
        for short, b in try(s.buckets, {}) : short => {
          object_lock_days = try(b.object_lock_days, null)
          expiration_days  = try(b.expiration_days, null)
          lifecycle = [
            for r in try(b.lifecycle, []) : {
              prefix                     = r.prefix
              expiration_days            = try(r.expiration_days, null)
              transition_ia_days         = try(r.transition_ia_days, null)
              noncurrent_expiration_days = try(r.noncurrent_expiration_days, null)
            }
          ]
        }
      }
      secrets     = { for short, secret in try(s.secrets, {}) : short => { description = secret.description } }
      uses        = tolist(try(s.uses, []))
      permissions = [for p in try(s.permissions, []) : { actions = tolist(p.actions), resources = tolist(p.resources) }]
      environment = { for k, v in try(s.environment, {}) : k => tostring(v) }
      emits       = tolist(try(s.emits, []))
      packaging = {
        type            = try(s.packaging.type, "zip")
        extras          = tolist(try(s.packaging.extras, []))
        debian_packages = tolist(try(s.packaging.debian_packages, []))
      }
      mail = try(s.mail, null) == null ? null : {
        from_address = s.mail.from_address
        reply_to     = try(s.mail.reply_to, null)
        domain       = split("@", s.mail.from_address)[1]
        feedback     = try(s.mail.feedback, false)
      }
      sms = try(s.sms, null) == null ? null : {
        message_type = try(s.sms.message_type, "TRANSACTIONAL")
        feedback     = try(s.sms.feedback, false)
        origination = try(s.sms.origination, null) == null ? null : {
          type        = s.sms.origination.type
          country     = s.sms.origination.country
          sender_id   = try(s.sms.origination.sender_id, null)
          number_type = try(s.sms.origination.number_type, "LONG_CODE")
        }
      }
      # An OpenSearch domain instead of the default index file (platform_core/config.py SearchDomain).
      search = try(s.search, null) == null ? null : {
        engine         = try(s.search.engine, "opensearch")
        engine_version = try(s.search.engine_version, "OpenSearch_2.19")
        instance_type  = try(s.search.instance_type, "t3.small.search")
        instance_count = try(s.search.instance_count, 1)
        volume_gb      = try(s.search.volume_gb, 10)
      }
      identity = try(s.identity, null) == null ? null : {
        resource_server      = s.identity.resource_server
        scopes               = { for k, v in s.identity.scopes : k => tostring(v) }
        access_token_minutes = try(s.identity.access_token_minutes, 60)
        clients = {
          for client, c in s.identity.clients : client => {
            description         = c.description
            credential          = c.credential
            scopes              = tolist(c.scopes)
            requests_per_minute = try(c.limits.requests_per_minute, 1000)
            burst               = try(c.limits.burst, 2000)
          }
        }
      }
    }
  }
  service_names = sort(keys(local.services))
  # Domains the services send e-mail from (one SES identity each, whoever sends from it).
  mail_domains = distinct([for name in local.service_names : local.services[name].mail.domain if local.services[name].mail != null])
  # Teams whose services send events through the ingest API: each gets an API-key secret.
  emitting_teams = distinct([for name in local.service_names : local.services[name].team if length(local.services[name].emits) > 0])

  # --- Organisation: shared accounts plus one workload account per environment
  org = local.config.organization
  accounts = merge(
    {
      for name, a in local.org.accounts : name => {
        name  = "${local.config.project}-${name}"
        ou    = a.ou
        email = "${local.org.email_local_part}+${local.config.project}-${name}@${local.org.email_domain}"
      }
    },
    {
      for env in local.environment_names : env => {
        name  = "${local.config.project}-${env}"
        ou    = "Workloads"
        email = "${local.org.email_local_part}+${local.config.project}-${env}@${local.org.email_domain}"
      }
    }
  )
}
