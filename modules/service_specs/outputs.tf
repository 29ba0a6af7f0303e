output "services" {
  description = "Service name => {declaration (platform_config), names (naming), environment (its function's variables), topics (event type => topic of a kafka trigger), team_queue ({name, arn} of its team's queue, or null), statements (its role's, service_policy)}."
  value = {
    for name, s in module.config.services : name => {
      declaration = s
      names       = module.names.services[name]
      environment = module.names.service_environments[name]
      topics      = { for et in s.trigger.event_types : et => module.names.topics[et] }
      team_queue  = try(local.team_queues[s.team], null)
      statements  = module.policy[name].statements
    }
  }
}

output "function_names" {
  description = "Service name => its function's name (known before anything exists: the REST API's integrations use it)."
  value       = { for name, s in module.names.services : name => s.function }
}
