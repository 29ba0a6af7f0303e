terraform {
  # Provider-free on purpose: the statements are pure data, testable offline with `terraform test`.
  required_version = ">= 1.10"
}
