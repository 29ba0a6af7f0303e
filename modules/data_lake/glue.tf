# --- The raw -> curated Glue job --------------------------------------------------------
resource "aws_s3_object" "glue_script" {
  bucket      = var.artifacts_bucket
  key         = "glue/raw_to_curated/job.py"
  source      = var.glue_script_path
  source_hash = filemd5(var.glue_script_path)
  kms_key_id  = var.kms_key_arn
  tags        = var.tags
}

resource "aws_s3_object" "glue_libs" {
  bucket      = var.artifacts_bucket
  key         = "glue/libs/${filesha256(var.glue_libs_path)}.zip"
  source      = var.glue_libs_path
  source_hash = filemd5(var.glue_libs_path)
  kms_key_id  = var.kms_key_arn
  tags        = var.tags
}

# What the job imports beyond Glue's own libraries, pinned next to the script.
locals {
  glue_python_modules = [
    for line in split("\n", file("${dirname(var.glue_script_path)}/requirements.txt")) :
    trimspace(line) if trimspace(line) != "" && !startswith(trimspace(line), "#")
  ]
}

resource "aws_glue_security_configuration" "this" {
  name = "${var.name_prefix}-lake"

  encryption_configuration {
    cloudwatch_encryption {
      cloudwatch_encryption_mode = "SSE-KMS"
      kms_key_arn                = var.kms_key_arn
    }

    job_bookmarks_encryption {
      job_bookmarks_encryption_mode = "CSE-KMS"
      kms_key_arn                   = var.kms_key_arn
    }

    s3_encryption {
      s3_encryption_mode = "SSE-KMS"
      kms_key_arn        = var.kms_key_arn
    }
  }
}

data "aws_iam_policy_document" "glue_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["glue.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "glue" {
  name                 = "${var.name_prefix}-glue-lake"
  description          = "Role of the ${var.names.glue_job} Glue job"
  assume_role_policy   = data.aws_iam_policy_document.glue_assume.json
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

resource "aws_iam_role_policy_attachment" "glue_service" {
  role       = aws_iam_role.glue.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AWSGlueServiceRole"
}

data "aws_iam_policy_document" "glue" {
  statement {
    sid       = "ListZones"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [module.bucket["raw"].arn, module.bucket["rejected"].arn, module.bucket["curated"].arn, var.artifacts_bucket_arn]
  }

  statement {
    sid       = "ReadRawAndRejected"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${module.bucket["raw"].arn}/raw/*", "${module.bucket["rejected"].arn}/rejected/*"]
  }

  statement {
    sid       = "WriteCuratedAndQuarantine"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${module.bucket["curated"].arn}/curated/*", "${module.bucket["curated"].arn}/quarantine/*", "${module.bucket["curated"].arn}/_staging/*", "${module.bucket["curated"].arn}/_state/raw_to_curated/*"]
  }

  statement {
    sid       = "ReadScriptWriteTemp"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${var.artifacts_bucket_arn}/glue/*", "${var.artifacts_bucket_arn}/glue-temp/*"]
  }

  statement {
    sid       = "UseTheDataKey"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = [var.kms_key_arn]
  }

  statement {
    sid       = "EncryptedJobLogs"
    actions   = ["logs:AssociateKmsKey", "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws-glue/*"]
  }

  statement {
    sid     = "CatalogOfTheLake"
    actions = ["glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:GetPartition", "glue:GetPartitions"]
    resources = [
      "arn:${local.partition}:glue:${local.region}:${local.account_id}:catalog",
      "arn:${local.partition}:glue:${local.region}:${local.account_id}:database/${var.glue_database}",
      "arn:${local.partition}:glue:${local.region}:${local.account_id}:table/${var.glue_database}/*",
    ]
  }
}

resource "aws_iam_role_policy" "glue" {
  name   = "lake-data"
  role   = aws_iam_role.glue.id
  policy = data.aws_iam_policy_document.glue.json
}

resource "aws_glue_job" "raw_to_curated" {
  name                   = var.names.glue_job
  description            = "Raw zone (gzip JSON lines) -> curated Parquet, deduplicated on (team, event_id); job bookmarks make it incremental"
  role_arn               = aws_iam_role.glue.arn
  glue_version           = var.lake.glue_version
  worker_type            = var.glue_worker_type
  number_of_workers      = var.glue_number_of_workers
  execution_class        = var.glue_execution_class
  timeout                = var.glue_timeout_minutes
  max_retries            = 0 # the pipeline alerts; a blind retry would hide a bad input
  security_configuration = aws_glue_security_configuration.this.name
  tags                   = var.tags

  command {
    name            = "glueetl"
    script_location = "s3://${var.artifacts_bucket}/${aws_s3_object.glue_script.key}"
    python_version  = "3"
  }

  execution_property {
    max_concurrent_runs = 1 # bookmarks and the dedup against curated need one run at a time
  }

  default_arguments = {
    "--job-language"                     = "python"
    "--job-bookmark-option"              = "job-bookmark-enable"
    "--extra-py-files"                   = "s3://${var.artifacts_bucket}/${aws_s3_object.glue_libs.key}"
    "--additional-python-modules"        = join(",", local.glue_python_modules)
    "--TempDir"                          = "s3://${var.artifacts_bucket}/glue-temp/"
    "--enable-metrics"                   = "true"
    "--enable-observability-metrics"     = "true"
    "--enable-continuous-cloudwatch-log" = "true"
    "--enable-job-insights"              = "true"
    "--env"                              = var.environment
    "--raw_path"                         = "s3://${module.bucket["raw"].id}/raw/"
    "--curated_path"                     = "s3://${module.bucket["curated"].id}/curated/"
    "--rejected_path"                    = "s3://${module.bucket["rejected"].id}/rejected/"
  }

  depends_on = [aws_iam_role_policy.glue, aws_iam_role_policy_attachment.glue_service]
}

# Without the Step Functions pipeline, a plain scheduled trigger runs the job.
resource "aws_glue_trigger" "schedule" {
  count = var.orchestration_enabled ? 0 : 1

  name     = "${var.names.glue_job}-schedule"
  type     = "SCHEDULED"
  schedule = var.lake.schedule
  tags     = var.tags

  actions {
    job_name = aws_glue_job.raw_to_curated.name
  }
}
