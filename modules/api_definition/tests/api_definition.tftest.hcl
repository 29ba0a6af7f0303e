# The repository's api/openapi.yaml, turned into the REST API's body.
variables {
  openapi_yaml = file("../../api/openapi.yaml")
  name         = "stockoss-dev-api"
  region       = "eu-west-1"
  function_arns = {
    ingest              = "arn:aws:lambda:eu-west-1:123456789012:function:stockoss-dev-ingest"
    orders-api          = "arn:aws:lambda:eu-west-1:123456789012:function:stockoss-dev-orders-orders-api"
    orders-authorizer   = "arn:aws:lambda:eu-west-1:123456789012:function:stockoss-dev-orders-orders-authorizer"
    documents-api       = "arn:aws:lambda:eu-west-1:123456789012:function:stockoss-dev-documents-documents-api"
    documents-processor = "arn:aws:lambda:eu-west-1:123456789012:function:stockoss-dev-documents-documents-processor"
    notifications-api   = "arn:aws:lambda:eu-west-1:123456789012:function:stockoss-dev-notifications-notifications-api"
    console             = "arn:aws:lambda:eu-west-1:123456789012:function:stockoss-dev-orders-console"
  }
}

run "every_route_of_the_document_is_served_by_its_function" {
  command = plan

  assert {
    condition     = length(output.routes) == length(flatten([for path, item in yamldecode(var.openapi_yaml).paths : [for m in keys(item) : m if contains(["get", "put", "post", "delete", "patch", "head", "options"], m)]]))
    error_message = "one route per operation of the document"
  }
  assert {
    condition     = contains([for r in output.routes : "${r.method} ${r.path} ${r.function}"], "GET /v1/schemas/{event_type}/{version} ingest")
    error_message = "GET /v1/schemas/{event_type}/{version} is a route, served by ingest"
  }
  assert {
    condition     = jsondecode(output.body).paths["/v1/events"].post["x-amazon-apigateway-integration"].uri == "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:stockoss-dev-ingest/invocations"
    error_message = "POST /v1/events integrates with the ingest function (Lambda proxy)"
  }
  assert {
    condition     = jsondecode(output.body)["x-amazon-apigateway-api-key-source"] == try(yamldecode(var.openapi_yaml)["x-amazon-apigateway-api-key-source"], "HEADER")
    error_message = "the key source is the document's (HEADER when it says nothing)"
  }
}

run "authorizers_keep_the_document_settings_and_get_their_function" {
  command = plan

  assert {
    condition     = jsondecode(output.body).components.securitySchemes.ordersAuthorizer["x-amazon-apigateway-authorizer"].authorizerUri == "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:stockoss-dev-orders-orders-authorizer/invocations"
    error_message = "the authorizer scheme invokes the function its x-platform-function names"
  }
  assert {
    condition     = jsondecode(output.body).components.securitySchemes.ordersAuthorizer["x-amazon-apigateway-authorizer"].authorizerResultTtlInSeconds == yamldecode(var.openapi_yaml).components.securitySchemes.ordersAuthorizer["x-amazon-apigateway-authorizer"].authorizerResultTtlInSeconds
    error_message = "the authorizer's settings (TTL, identity source) are the document's"
  }
  assert {
    condition     = jsondecode(output.body).paths["/v1/orders"].post.security == [{ apiKey = [], ordersAuthorizer = [] }]
    error_message = "the route's requirement, without the scopes a Lambda authorizer checks itself"
  }
  assert {
    condition     = [for r in output.routes : r.authorizer if r.path == "/v1/orders" && r.method == "POST"] == ["orders-authorizer"]
    error_message = "routes name their authorizer's function"
  }
  assert {
    condition     = output.function_routes["orders-api"] == [{ method = "POST", path = "/v1/orders" }, { method = "GET", path = "/v1/orders/{order_id}" }]
    error_message = "function_routes lists a function's routes"
  }
}

run "parameters_are_resolved_and_validated" {
  command = plan

  assert {
    condition     = [for p in jsondecode(output.body).paths["/v1/schemas/{event_type}/{version}"].get.parameters : "${p.in}:${p.name}:${p.required}"] == ["path:event_type:true", "path:version:true"]
    error_message = "path parameters from components.parameters and the operation"
  }
  assert {
    condition     = jsondecode(output.body)["x-amazon-apigateway-request-validator"] == "parameters"
    error_message = "requests are validated (parameters)"
  }
}

run "refuses_an_operation_without_a_function" {
  command = plan

  variables {
    openapi_yaml = replace(file("../../api/openapi.yaml"), "operationId: listSchemas\n      x-platform-function: ingest", "operationId: listSchemas")
  }

  expect_failures = [output.body]
}

run "refuses_an_operation_naming_an_unknown_function" {
  command = plan

  variables {
    openapi_yaml = replace(file("../../api/openapi.yaml"), "x-platform-function: orders-api", "x-platform-function: ghost")
  }

  expect_failures = [output.body]
}

run "refuses_a_keyed_route_without_an_authorizer_when_keys_come_from_authorizers" {
  command = plan

  variables {
    # The platform's routes require a key and have no authorizer to return it.
    openapi_yaml = replace(file("../../api/openapi.yaml"), "\nsecurity:\n", "\nx-amazon-apigateway-api-key-source: AUTHORIZER\nsecurity:\n")
  }

  expect_failures = [output.body]
}
