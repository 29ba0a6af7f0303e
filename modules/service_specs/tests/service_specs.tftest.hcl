# The repository's configuration, plus a toy service declared in a copy of it.
variables {
  config_yaml = <<-YAML
    ${file("../../config/platform.yaml")}
      toy:
        team: documents
        description: A toy
        handler: lambdas.toy.handler.lambda_handler
        trigger: {type: queue}
        tables:
          things: {hash_key: id}
        permissions:
          - actions: ["sqs:SendMessage"]
            resources: ["arn:aws:sqs:eu-west-1:123456789012:elsewhere"]
  YAML
  environment = "dev"
  account_id  = "123456789012"
  api_url     = "https://abc123.execute-api.eu-west-1.amazonaws.com/live"
  arns = {
    kms_key       = "arn:aws:kms:eu-west-1:123456789012:key/k"
    api_execution = "arn:aws:execute-api:eu-west-1:123456789012:abc123"
  }
}

run "a_toy_service_gets_its_function_trigger_role_and_table" {
  command = plan

  assert {
    condition     = output.function_names["toy"] == "stockoss-dev-documents-toy"
    error_message = "function name"
  }
  assert {
    condition     = output.services["toy"].team_queue.name == "stockoss-dev-documents-events"
    error_message = "a queue trigger reads its team's queue"
  }
  assert {
    condition     = output.services["toy"].names.tables["things"] == "stockoss-dev-documents-things"
    error_message = "its table"
  }
  assert {
    condition     = [for s in output.services["toy"].statements : s.sid] == ["OwnTables", "ConsumeTheTriggerQueue", "UseTheDataKey", "Declared0"]
    error_message = "its role: its table, its queue, the data key, its declared permission"
  }
  assert {
    condition     = output.services["toy"].environment["TABLE_THINGS"] == "stockoss-dev-documents-things" && output.services["toy"].environment["TEAM"] == "documents"
    error_message = "its environment"
  }
}

run "every_declared_service_has_a_spec" {
  command = plan

  assert {
    condition     = sort(keys(output.services)) == sort(concat(keys(yamldecode(file("../../config/platform.yaml")).services), ["toy"]))
    error_message = "one spec per declared service"
  }
}
