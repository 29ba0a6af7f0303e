output "body" {
  description = "The OpenAPI 3.0 JSON for aws_api_gateway_rest_api.body: every operation with its Lambda proxy integration, the authorizers with their function URIs, the key source and request validation."
  value       = jsonencode(local.body)

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
    condition     = alltrue([for op in local.operations : length(op.security) <= 1 && length(local.route_authorizers["${op.method} ${op.path}"]) <= 1])
    error_message = "API Gateway guards a method with one security requirement (an API key and/or one authorizer), not alternatives."
  }
  precondition {
    condition     = contains(["HEADER", "AUTHORIZER"], local.key_source)
    error_message = "x-amazon-apigateway-api-key-source must be HEADER or AUTHORIZER."
  }
  precondition {
    # With AUTHORIZER, a route that needs a key gets it from its authorizer only.
    condition     = local.key_source == "HEADER" || alltrue([for key, needs in local.route_needs_key : !needs || length(local.route_authorizers[key]) == 1])
    error_message = "The API's key source is AUTHORIZER: every route that requires an API key needs an authorizer to return it (usageIdentifierKey)."
  }
}

output "key_source" {
  description = "Where the usage-plan key of a request comes from: HEADER (x-api-key) or AUTHORIZER (usageIdentifierKey)."
  value       = local.key_source
}

output "routes" {
  description = "Every route: [{method, path, function, operation_id, authorizer (its function, or null)}]."
  value       = local.routes
}

output "function_routes" {
  description = "Function key => its routes [{method, path}] (the Lambda permissions of the ingest function and the api services)."
  value = {
    for function in distinct([for r in local.routes : r.function if r.function != null]) : function => [
      for r in local.routes : { method = r.method, path = r.path } if r.function == function
    ]
  }
}

output "authorizers" {
  description = "Function key of each authorizer => the security schemes it serves."
  value = {
    for function in distinct(values(local.authorizer_schemes)) : function => [
      for scheme, f in local.authorizer_schemes : scheme if f == function
    ]
  }
}
