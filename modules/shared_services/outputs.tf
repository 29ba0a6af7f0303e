output "artifacts_bucket" {
  description = "Name of the Lambda/Glue artifacts bucket."
  value       = module.artifacts.id
}

output "artifacts_bucket_arn" {
  description = "ARN of the artifacts bucket."
  value       = module.artifacts.arn
}

output "function_artifacts" {
  description = "Function key => {s3_bucket, s3_key, s3_object_version, source_code_hash} for aws_lambda_function."
  value = {
    for k, o in aws_s3_object.function : k => {
      s3_bucket         = o.bucket
      s3_key            = o.key
      s3_object_version = o.version_id
      source_code_hash  = filebase64sha256("${var.artifacts_dir}/${var.function_artifacts[k]}")
    }
  }
}

output "layer_arn" {
  description = "ARN (with version) of the dependencies layer."
  value       = aws_lambda_layer_version.dependencies.arn
}

output "extra_layer_arns" {
  description = "Layer key => ARN (with version) of each extra layer."
  value       = { for k, layer in aws_lambda_layer_version.extra : k => layer.arn }
}

output "glue_database" {
  description = "Glue catalog database of the lake."
  value       = aws_glue_catalog_database.lake.name
}

output "athena_workgroups" {
  description = "Workgroup key (team or platform) => workgroup name."
  value       = { for k, w in aws_athena_workgroup.this : k => w.name }
}

output "athena_workgroup_arns" {
  description = "Workgroup key => ARN."
  value       = { for k, w in aws_athena_workgroup.this : k => w.arn }
}

output "kafka" {
  description = "Kafka connection for the bridge: bootstrap_servers, security_protocol, cluster_arn/name/uuid (null when external), and ARN prefixes for kafka-cluster IAM actions (topic_arn_prefix, group_arn_prefix, transactional_id_arn_prefix: append /<name>)."
  value = {
    mode                        = var.kafka_mode
    bootstrap_servers           = local.kafka_bootstrap_servers
    security_protocol           = local.kafka_security_protocol
    cluster_arn                 = local.kafka_cluster_arn
    cluster_name                = local.kafka_cluster_name
    cluster_uuid                = local.kafka_cluster_uuid
    topic_arn_prefix            = local.kafka_topic_arn_prefix
    group_arn_prefix            = local.kafka_group_arn_prefix
    transactional_id_arn_prefix = local.kafka_transactional_arn_p
    security_group_id           = try(aws_security_group.msk[0].id, null)
  }
}
