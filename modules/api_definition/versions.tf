terraform {
  # Provider-free on purpose: the API bodies are pure functions of the document, testable offline with `terraform test`.
  required_version = ">= 1.10"
}
