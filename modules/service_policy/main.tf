# The least-privilege statements of one declared service's execution role, as data: what its
# declaration grants by itself (its tables and buckets and those of the services it uses, its
# secrets, its trigger, the ingest API and its team's API key when it emits, SES from its sender
# address when it sends e-mail, its search domain, or the search of a used one, the data key) and the extra permissions it declares. A statement
# has `conditions` ([{test, variable, values}]) only where it needs them. Provider-free, so the statements are tested offline
# (tests/) and listed by the services check; modules/platform_service renders them.
locals {
  p       = var.arns.partition
  region  = var.arns.region
  account = var.arns.account_id
  service = var.service

  table_arns  = [for name in concat(values(var.names.tables), flatten([for u in values(var.used) : values(u.tables)])) : "arn:${local.p}:dynamodb:${local.region}:${local.account}:table/${name}"]
  bucket_arns = [for name in concat(values(var.names.buckets), flatten([for u in values(var.used) : values(u.buckets)])) : "arn:${local.p}:s3:::${name}"]
  # Secrets Manager appends six random characters to a secret's ARN.
  secret_arns = [for name in values(var.names.secrets) : "arn:${local.p}:secretsmanager:${local.region}:${local.account}:secret:${name}-??????"]

  # Its own search domain (it writes: creates its indexes, indexes documents, searches), and those of
  # the services it uses (it searches only: POST or GET on an index's _search). Never a delete.
  own_domain_arn   = var.names.search_domain == null ? null : "arn:${local.p}:es:${local.region}:${local.account}:domain/${var.names.search_domain}"
  used_domain_arns = [for u in values(var.used) : "arn:${local.p}:es:${local.region}:${local.account}:domain/${u.search_domain}" if u.search_domain != null]

  trigger = local.service.trigger.type
  trigger_queue_arn = (
    local.trigger == "queue" ? var.arns.team_queue :
    local.trigger == "s3" ? "arn:${local.p}:sqs:${local.region}:${local.account}:${var.names.inbox_queue}" : null
  )
  msk = local.trigger == "kafka" && var.arns.kafka_cluster != null

  statements = concat(
    length(local.table_arns) == 0 ? [] : [{
      sid       = "OwnTables"
      actions   = ["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem", "dynamodb:DeleteItem", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"]
      resources = concat(local.table_arns, [for arn in local.table_arns : "${arn}/index/*"])
    }],
    length(local.bucket_arns) == 0 ? [] : [
      {
        sid       = "ListOwnBuckets"
        actions   = ["s3:ListBucket", "s3:ListBucketVersions"]
        resources = local.bucket_arns
      },
      {
        sid       = "OwnObjects"
        actions   = ["s3:DeleteObject", "s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"]
        resources = [for arn in local.bucket_arns : "${arn}/*"]
      },
    ],
    length(local.secret_arns) == 0 ? [] : [{
      sid       = "ReadOwnSecrets"
      actions   = ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"]
      resources = local.secret_arns
    }],
    local.trigger_queue_arn == null ? [] : [{
      sid       = "ConsumeTheTriggerQueue"
      actions   = ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"]
      resources = [local.trigger_queue_arn]
    }],
    !local.msk ? [] : [
      {
        sid       = "ConnectToTheCluster"
        actions   = ["kafka-cluster:Connect", "kafka-cluster:DescribeClusterDynamicConfiguration", "kafka:DescribeCluster", "kafka:DescribeClusterV2", "kafka:GetBootstrapBrokers"]
        resources = [var.arns.kafka_cluster]
      },
      {
        sid       = "ReadTheTopics"
        actions   = ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"]
        resources = [for topic in values(var.topics) : "${var.arns.kafka_topic_prefix}/${topic}"]
      },
      {
        sid       = "OwnConsumerGroups"
        actions   = ["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"]
        resources = ["${var.arns.kafka_group_prefix}/${var.names.consumer_group}*"]
      },
      # Lambda's MSK poller reaches the brokers through network interfaces it creates in the
      # cluster's subnets with the function's role; these EC2 actions take no resource ARNs.
      {
        sid       = "MskPollerNetworkInterfaces"
        actions   = ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs"]
        resources = ["*"]
      },
    ],
    local.trigger != "kafka" || local.msk || var.arns.kafka_auth_secret == null ? [] : [{
      sid       = "ReadTheKafkaCredentials"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = [var.arns.kafka_auth_secret]
    }],
    length(local.service.emits) == 0 ? [] : [
      {
        sid       = "ReadTheTeamApiKey"
        actions   = ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"]
        resources = ["arn:${local.p}:secretsmanager:${local.region}:${local.account}:secret:${var.names.api_key_secret}-??????"]
      },
      {
        sid       = "SendEventsThroughTheIngestApi"
        actions   = ["execute-api:Invoke"]
        resources = ["${var.arns.ingest_api_execution}/*/POST/v1/events"]
      },
    ],
    local.service.mail == null ? [] : [{
      sid     = "SendMailAsItsSender"
      actions = ["ses:SendEmail", "ses:SendRawEmail"]
      resources = [
        "arn:${local.p}:ses:${local.region}:${local.account}:identity/${local.service.mail.domain}",
        "arn:${local.p}:ses:${local.region}:${local.account}:configuration-set/${var.names.mail_configuration_set}",
      ]
      # From its declared address only, whatever else the domain's identity allows.
      conditions = [{ test = "StringEquals", variable = "ses:FromAddress", values = [local.service.mail.from_address] }]
    }],
    local.service.sms == null ? [] : [{
      sid     = "SendTextsThroughItsConfigurationSet"
      actions = ["sms-voice:SendTextMessage"]
      resources = concat(
        ["arn:${local.p}:sms-voice:${local.region}:${local.account}:configuration-set/${var.names.sms_configuration_set}"],
        # From its declared identity (a leased number's id is known once leased), else the account's.
        try(local.service.sms.origination.type, null) == "sender_id" ? [
          "arn:${local.p}:sms-voice:${local.region}:${local.account}:sender-id/${local.service.sms.origination.sender_id}/${local.service.sms.origination.country}",
          ] : try(local.service.sms.origination.type, null) == "phone_number" ? [
          "arn:${local.p}:sms-voice:${local.region}:${local.account}:phone-number/*",
          ] : [
          for kind in ["phone-number", "sender-id", "pool"] : "arn:${local.p}:sms-voice:${local.region}:${local.account}:${kind}/*"
        ],
      )
    }],
    local.own_domain_arn == null ? [] : [{
      sid       = "WriteAndSearchItsSearchDomain"
      actions   = ["es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost", "es:ESHttpPut"]
      resources = ["${local.own_domain_arn}/*"]
    }],
    length(local.used_domain_arns) == 0 ? [] : [{
      sid       = "SearchTheUsedSearchDomains"
      actions   = ["es:ESHttpGet", "es:ESHttpPost"]
      resources = [for arn in local.used_domain_arns : "${arn}/*/_search"]
    }],
    [{
      sid       = "UseTheDataKey"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [var.arns.kms_key]
    }],
    [for i, p in local.service.permissions : {
      sid       = "Declared${i}"
      actions   = p.actions
      resources = p.resources
    }],
  )
}
