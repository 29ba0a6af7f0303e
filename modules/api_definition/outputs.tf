output "apis" {
  description = "API key (`ingestion`: the x-api-key routes; `public`: the routes behind an authorizer) => {key_source (HEADER or AUTHORIZER), body (the OpenAPI 3.0 JSON for aws_api_gateway_rest_api.body)}. Only the APIs that have routes."
  value       = { for api, body in local.bodies : api => { key_source = local.key_sources[api], body = jsonencode(body) } }

  precondition {
    condition     = alltrue([for op in local.operations : op.function != null])
    error_message = "Every operation of the document needs x-platform-function (ingest or a declared service): ${join(", ", [for op in local.operations : "${op.method} ${op.path}" if op.function == null])}."
  }
  precondition {
    condition     = alltrue([for op in local.operations : contains(keys(var.function_arns), coalesce(op.function, "-"))])
    error_message = "An operation's x-platform-function names no function: ${join(", ", [for op in local.operations : "${op.method} ${op.path} -> ${coalesce(op.function, "-")}" if !contains(keys(var.function_arns), coalesce(op.function, "-"))])}."
  }
  precondition {
    condition     = alltrue([for function in values(local.authorizer_schemes) : contains(keys(var.function_arns), function)])
    error_message = "A security scheme's x-platform-function names no function."
  }
  precondition {
    condition     = alltrue([for op in local.operations : length(local.operation_authorizers["${op.method} ${op.path}"]) <= 1])
    error_message = "An operation may name one authorizer scheme at most."
  }
}

output "routes" {
  description = "Every route: [{api, method, path, function, operation_id}]."
  value       = local.routes
}

output "function_routes" {
  description = "Function key => its routes [{api, method, path}] (the Lambda permissions of an api service)."
  value = {
    for function in distinct([for r in local.routes : r.function if r.function != null]) : function => [
      for r in local.routes : { api = r.api, method = r.method, path = r.path } if r.function == function
    ]
  }
}

output "authorizers" {
  description = "Function key of each authorizer => the API whose routes it guards."
  value       = { for function in distinct(values(local.authorizer_schemes)) : function => "public" }
}
