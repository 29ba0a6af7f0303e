terraform {
  # Provider-free on purpose: pure table-contract logic, testable offline with `terraform test`.
  required_version = ">= 1.10"
}
