terraform {
  # Provider-free on purpose: the specs are pure functions of the configuration, testable offline with `terraform test`.
  required_version = ">= 1.10"
}
