# The body of the REST API of api/openapi.yaml (provider-free: `terraform plan` shows them).
module "api" {
  source = "../.."

  openapi_yaml = file("${path.module}/../../../../api/openapi.yaml")
  name         = "stockoss-dev-api"
  region       = "eu-west-1"
  function_arns = {
    ingest            = "arn:aws:lambda:eu-west-1:123456789012:function:stockoss-dev-ingest"
    orders-api        = "arn:aws:lambda:eu-west-1:123456789012:function:stockoss-dev-orders-orders-api"
    orders-authorizer = "arn:aws:lambda:eu-west-1:123456789012:function:stockoss-dev-orders-orders-authorizer"
    documents-api     = "arn:aws:lambda:eu-west-1:123456789012:function:stockoss-dev-documents-documents-api"
  }
}

output "routes" {
  description = "Every route and its function."
  value       = module.api.routes
}
