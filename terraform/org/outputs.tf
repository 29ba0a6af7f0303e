output "organization_id" {
  description = "AWS Organizations id (o-...)."
  value       = aws_organizations_organization.this.id
}

output "management_account_id" {
  description = "Management account id."
  value       = aws_organizations_organization.this.master_account_id
}

output "root_id" {
  description = "Id of the organisation root."
  value       = aws_organizations_organization.this.roots[0].id
}

output "ou_ids" {
  description = "OU name => id."
  value       = { for k, ou in aws_organizations_organizational_unit.this : k => ou.id }
}

output "accounts" {
  description = "Account key (log-archive, security, shared-services, <env>...) => {id, name, email, ou}."
  value = {
    for k, a in aws_organizations_account.this : k => {
      id    = a.id
      name  = a.name
      email = a.email
      ou    = module.config.accounts[k].ou
    }
  }
}

output "member_account_role_name" {
  description = "Role the management account assumes in member accounts."
  value       = var.member_account_role_name
}

output "scp_ids" {
  description = "SCP name => policy id."
  value       = { for k, p in aws_organizations_policy.scp : k => p.id }
}
