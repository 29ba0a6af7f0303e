# The repository's api/openapi.yaml, turned into the REST APIs' bodies.
variables {
  openapi_yaml = file("../../api/openapi.yaml")
  name_prefix  = "stockoss-dev"
  region       = "eu-west-1"
  function_arns = {
    ingest            = "arn:aws:lambda:eu-west-1:123456789012:function:stockoss-dev-ingest"
    orders-api        = "arn:aws:lambda:eu-west-1:123456789012:function:stockoss-dev-orders-orders-api"
    orders-authorizer = "arn:aws:lambda:eu-west-1:123456789012:function:stockoss-dev-orders-orders-authorizer"
  }
}

run "every_route_of_the_document_is_served_by_its_function" {
  command = plan

  assert {
    condition     = length(output.routes) == length(flatten([for path, item in yamldecode(var.openapi_yaml).paths : keys(item)]))
    error_message = "one route per operation of the document"
  }
  assert {
    condition     = contains([for r in output.routes : "${r.method} ${r.path} ${r.function}" if r.api == "ingestion"], "GET /v1/schemas/{event_type}/{version} ingest")
    error_message = "GET /v1/schemas/{event_type}/{version} is a route of the ingestion API"
  }
  assert {
    condition     = jsondecode(output.apis["ingestion"].body).paths["/v1/events"].post["x-amazon-apigateway-integration"].uri == "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:stockoss-dev-ingest/invocations"
    error_message = "POST /v1/events integrates with the ingest function (Lambda proxy)"
  }
  assert {
    condition     = jsondecode(output.apis["ingestion"].body)["x-amazon-apigateway-api-key-source"] == "HEADER" && jsondecode(output.apis["public"].body)["x-amazon-apigateway-api-key-source"] == "AUTHORIZER"
    error_message = "teams' keys come from x-api-key, clients' keys from their authorizer"
  }
}

run "the_routes_behind_an_authorizer_form_the_public_api" {
  command = plan

  assert {
    condition     = sort([for r in output.routes : "${r.method} ${r.path}" if r.api == "public"]) == tolist(["GET /v1/orders/{order_id}", "POST /v1/orders"])
    error_message = "the orders routes are behind the orders authorizer"
  }
  assert {
    condition     = jsondecode(output.apis["public"].body).components.securitySchemes.ordersAuthorizer["x-amazon-apigateway-authorizer"].authorizerUri == "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:stockoss-dev-orders-orders-authorizer/invocations"
    error_message = "the authorizer scheme invokes the orders-authorizer function"
  }
  assert {
    condition     = jsondecode(output.apis["public"].body).paths["/v1/orders"].post.security == [{ apiKey = [], ordersAuthorizer = [] }]
    error_message = "an authorizer's route requires the usage-plan key the authorizer returns"
  }
  assert {
    condition     = !can(jsondecode(output.apis["ingestion"].body).components.securitySchemes.ordersAuthorizer)
    error_message = "the ingestion API has no authorizer"
  }
  assert {
    condition     = output.function_routes["orders-api"] == [{ api = "public", method = "POST", path = "/v1/orders" }, { api = "public", method = "GET", path = "/v1/orders/{order_id}" }]
    error_message = "function_routes lists a function's routes"
  }
  assert {
    condition     = output.authorizers == { orders-authorizer = "public" }
    error_message = "authorizers lists the authorizer functions"
  }
}

run "parameters_are_resolved_and_validated" {
  command = plan

  assert {
    condition     = [for p in jsondecode(output.apis["ingestion"].body).paths["/v1/schemas/{event_type}/{version}"].get.parameters : "${p.in}:${p.name}:${p.required}"] == ["path:event_type:true", "path:version:true"]
    error_message = "path parameters from components.parameters and the operation"
  }
  assert {
    condition     = jsondecode(output.apis["ingestion"].body)["x-amazon-apigateway-request-validator"] == "parameters"
    error_message = "requests are validated (parameters)"
  }
}

run "refuses_an_operation_without_a_function" {
  command = plan

  variables {
    openapi_yaml = replace(file("../../api/openapi.yaml"), "operationId: listSchemas\n      x-platform-function: ingest", "operationId: listSchemas")
  }

  expect_failures = [output.apis]
}

run "refuses_an_operation_naming_an_unknown_function" {
  command = plan

  variables {
    openapi_yaml = replace(file("../../api/openapi.yaml"), "x-platform-function: orders-api", "x-platform-function: ghost")
  }

  expect_failures = [output.apis]
}
