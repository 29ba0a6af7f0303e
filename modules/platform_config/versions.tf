terraform {
  # Provider-free on purpose: the parsed configuration and every derived map are
  # pure functions of config/platform.yaml, tested offline with `terraform test`.
  required_version = ">= 1.10"
}
