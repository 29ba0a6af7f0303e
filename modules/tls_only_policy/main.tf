# The statement every resource policy of the platform carries: plain HTTP is denied to everyone,
# whoever the caller and whatever else the policy allows. Callers merge `json` into their own
# document (source_policy_documents, or override_policy_documents to keep it after their statements).
data "aws_iam_policy_document" "this" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = var.actions
    resources = var.resources

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}
