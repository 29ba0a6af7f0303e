# dev: account-level wiring only. Sizes (log retention, PITR, deletion protection, alarms,
# NAT) come from config/platform.yaml environments.dev; the environment's name from
# `make plan ENV=dev` (run.sh passes -var environment=dev and this file).

# Kafka: config kafka.mode = external -> the cluster the bridge publishes to.
kafka_bootstrap_servers = "kafka.dev.example.com:9098"
kafka_security_protocol = "SASL_SSL"

# github_repository = "<owner>/<repo>"  # CI deploys through GitHub OIDC
# alert_emails      = ["platform-alerts@example.com"]
