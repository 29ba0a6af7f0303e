terraform {
  # Provider-free on purpose: pure naming logic, testable offline with `terraform test`.
  required_version = ">= 1.10"
}
