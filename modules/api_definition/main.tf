# The REST APIs' definitions (their `body`) from the one OpenAPI document, api/openapi.yaml:
# every operation names its function with `x-platform-function`, and this module adds what API
# Gateway needs to serve it (the `x-amazon-apigateway-*` extensions: a Lambda proxy
# integration per operation, the API key source, request validation, and a REQUEST authorizer
# per security scheme that names a function). A route therefore exists in API Gateway exactly
# when it exists in the document (and in the local gateway, which reads the same document).
#
# API Gateway reads a usage plan's API key from one place per API: the x-api-key header
# (HEADER) or the authorizer's usageIdentifierKey (AUTHORIZER). Routes guarded by an authorizer
# need AUTHORIZER so every client gets its own plan; the platform's routes need HEADER (the
# teams' keys). So the operations are split by how they are secured: `ingestion` (the x-api-key
# routes) and `public` (the routes behind an authorizer), each its own REST API.
locals {
  document   = yamldecode(var.openapi_yaml)
  components = try(local.document.components, {})
  schemes    = try(local.components.securitySchemes, {})
  methods    = ["get", "put", "post", "delete", "patch", "head", "options"]

  # Security schemes that are Lambda authorizers, and the scheme that is the x-api-key header.
  authorizer_schemes = { for name, s in local.schemes : name => s["x-platform-function"] if can(s["x-platform-function"]) }
  api_key_scheme     = one([for name, s in local.schemes : name if try(s.type, "") == "apiKey" && lower(try(s.name, "")) == "x-api-key" && try(s.in, "") == "header" && !can(s["x-platform-function"])])

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

  # The authorizer schemes an operation's security names (any alternative of its requirements).
  operation_authorizers = {
    for op in local.operations : "${op.method} ${op.path}" => distinct(flatten([
      for requirement in op.security : [for scheme in keys(requirement) : scheme if contains(keys(local.authorizer_schemes), scheme)]
    ]))
  }
  api_of = { for op in local.operations : "${op.method} ${op.path}" => length(local.operation_authorizers["${op.method} ${op.path}"]) > 0 ? "public" : "ingestion" }

  key_sources = { ingestion = "HEADER", public = "AUTHORIZER" }
  apis        = distinct(values(local.api_of))

  integration_uri = {
    for name, arn in var.function_arns : name => "arn:${var.partition}:apigateway:${var.region}:lambda:path/2015-03-31/functions/${arn}/invocations"
  }

  bodies = {
    for api in local.apis : api => {
      openapi = "3.0.1"
      info = {
        title       = "${var.name_prefix}-${api}-api"
        version     = try(local.document.info.version, "1.0.0")
        description = try(local.document.info.summary, local.document.info.title)
      }
      "x-amazon-apigateway-api-key-source" = local.key_sources[api]
      # Required headers, query strings and path parameters are checked by API Gateway; bodies
      # are validated by the functions (JSON Schema 2020-12, which API Gateway models are not).
      "x-amazon-apigateway-request-validators" = {
        parameters = { validateRequestParameters = true, validateRequestBody = false }
      }
      "x-amazon-apigateway-request-validator" = "parameters"
      paths = {
        for path in distinct([for op in local.operations : op.path if local.api_of["${op.method} ${op.path}"] == api]) : path => {
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
              # An authorizer's route also requires the usage-plan key its authorizer returns.
              security = [
                for requirement in op.security : merge(
                  { for scheme in keys(requirement) : scheme => [] },
                  api == "public" && local.api_key_scheme != null ? { (local.api_key_scheme) = [] } : {},
                )
              ]
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
          ) if op.path == path && local.api_of["${op.method} ${op.path}"] == api
        }
      }
      components = {
        securitySchemes = merge(
          local.api_key_scheme == null ? {} : {
            (local.api_key_scheme) = { type = "apiKey", name = "x-api-key", in = "header" }
          },
          {
            for scheme, function in local.authorizer_schemes : scheme => {
              type                           = "apiKey"
              name                           = local.schemes[scheme].name
              in                             = local.schemes[scheme].in
              "x-amazon-apigateway-authtype" = "custom"
              # No identity source and no caching: the credentials may come in either of two
              # headers, and a cached decision would be keyed on one of them only.
              "x-amazon-apigateway-authorizer" = {
                type                         = "request"
                authorizerUri                = try(local.integration_uri[function], "")
                authorizerResultTtlInSeconds = 0
              }
            } if api == "public"
          },
        )
      }
    }
  }

  routes = [for op in local.operations : {
    api          = local.api_of["${op.method} ${op.path}"]
    method       = op.method
    path         = op.path
    function     = op.function
    operation_id = op.operation_id
  }]
}
