# The REST API's definition (its `body`) from the one OpenAPI document, api/openapi.yaml, which
# the local gateway serves too (local_platform/routes.py): a route exists in both or in neither.
#
# The document says what only it can say: which function serves each operation
# (`x-platform-function`), each operation's security requirement, where usage-plan keys come
# from (`x-amazon-apigateway-api-key-source`) and how each authorizer is called
# (`x-amazon-apigateway-authorizer`: identity source, cache TTL). This module adds what needs
# the deployment: a Lambda proxy integration per operation, each authorizer's function URI,
# request validation, and it reduces the document to the OpenAPI 3.0 subset API Gateway imports
# (bodies are validated by the functions, against JSON Schema 2020-12).
locals {
  document   = yamldecode(var.openapi_yaml)
  components = try(local.document.components, {})
  schemes    = try(local.components.securitySchemes, {})
  methods    = ["get", "put", "post", "delete", "patch", "head", "options"]
  key_source = upper(try(local.document["x-amazon-apigateway-api-key-source"], "HEADER"))

  # Security schemes that are Lambda authorizers (they name their function), and the others.
  authorizer_schemes = { for name, s in local.schemes : name => s["x-platform-function"] if can(s["x-platform-function"]) }
  api_key_schemes    = [for name, s in local.schemes : name if !can(s["x-platform-function"]) && try(s.type, "") == "apiKey" && try(s.in, "") == "header"]

  operations = flatten([
    for path, item in local.document.paths : [
      for method, op in item : {
        path         = path
        method       = upper(method)
        operation_id = op.operationId
        function     = try(op["x-platform-function"], null)
        summary      = try(op.summary, "")
        # The operation's own security, else the document's.
        security = try(op.security, try(local.document.security, []))
        # Path-level parameters, then the operation's (a $ref points into components.parameters).
        parameters = [
          for p in concat(try(item.parameters, []), try(op.parameters, [])) :
          try(local.components.parameters[trimprefix(p["$ref"], "#/components/parameters/")], p)
        ]
        responses = {
          for status, r in try(op.responses, {}) : status => try(
            local.components.responses[trimprefix(r["$ref"], "#/components/responses/")].description,
            r.description,
          )
        }
      } if contains(local.methods, lower(method))
    ]
  ])

  # API Gateway guards a method with one requirement: an API key and/or one authorizer.
  requirements = { for op in local.operations : "${op.method} ${op.path}" => try(op.security[0], {}) }
  route_authorizers = {
    for key, requirement in local.requirements : key => [for scheme in keys(requirement) : scheme if contains(keys(local.authorizer_schemes), scheme)]
  }
  route_needs_key = {
    for key, requirement in local.requirements : key => length([for scheme in keys(requirement) : scheme if contains(local.api_key_schemes, scheme)]) > 0
  }

  integration_uri = {
    for name, arn in var.function_arns : name => "arn:${var.partition}:apigateway:${var.region}:lambda:path/2015-03-31/functions/${arn}/invocations"
  }

  body = {
    openapi = "3.0.1"
    info = {
      title       = var.name
      version     = try(local.document.info.version, "1.0.0")
      description = try(local.document.info.summary, local.document.info.title)
    }
    "x-amazon-apigateway-api-key-source" = local.key_source
    # Required headers, query strings and path parameters are checked by API Gateway.
    "x-amazon-apigateway-request-validators" = {
      parameters = { validateRequestParameters = true, validateRequestBody = false }
    }
    "x-amazon-apigateway-request-validator" = "parameters"
    paths = {
      for path in distinct([for op in local.operations : op.path]) : path => {
        for op in local.operations : lower(op.method) => merge(
          {
            operationId = op.operation_id
            parameters = [
              for p in op.parameters : {
                name     = p.name
                in       = p.in
                required = try(p.required, false)
                schema   = { type = try(p.schema.type, "string") }
              }
            ]
            # Scopes are for Cognito authorizers; a Lambda authorizer (and the route's function)
            # checks its own, so API Gateway gets the requirement without them.
            security  = [for requirement in slice(op.security, 0, min(1, length(op.security))) : { for scheme in keys(requirement) : scheme => [] }]
            responses = { for status, description in op.responses : status => { description = description } }
            "x-amazon-apigateway-integration" = {
              type                = "aws_proxy"
              httpMethod          = "POST"
              uri                 = try(local.integration_uri[op.function], "")
              passthroughBehavior = "when_no_match"
              timeoutInMillis     = var.integration_timeout_ms
            }
          },
          { for k, v in { summary = op.summary } : k => v if v != "" },
        ) if op.path == path
      }
    }
    components = {
      securitySchemes = merge(
        { for name in local.api_key_schemes : name => { type = "apiKey", name = local.schemes[name].name, in = "header" } },
        {
          for name, function in local.authorizer_schemes : name => {
            type                           = "apiKey"
            name                           = local.schemes[name].name
            in                             = local.schemes[name].in
            "x-amazon-apigateway-authtype" = try(local.schemes[name]["x-amazon-apigateway-authtype"], "custom")
            "x-amazon-apigateway-authorizer" = merge(
              { for k, v in try(local.schemes[name]["x-amazon-apigateway-authorizer"], {}) : k => v },
              { type = "request", authorizerUri = try(local.integration_uri[function], "") },
            )
          }
        },
      )
    }
  }

  routes = [for op in local.operations : {
    method       = op.method
    path         = op.path
    function     = op.function
    operation_id = op.operation_id
    authorizer   = try(local.authorizer_schemes[local.route_authorizers["${op.method} ${op.path}"][0]], null)
  }]
}
