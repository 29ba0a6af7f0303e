# staging: sizes (log retention, PITR, deletion protection, alarms, NAT) come from
# config/platform.yaml environments.staging; only account-level wiring lives here.
environment = "staging"

# Kafka: config kafka.mode = external -> the cluster the bridge publishes to.
kafka_bootstrap_servers = "kafka.staging.example.com:9098"
kafka_security_protocol = "SASL_SSL"

# github_repository = "<owner>/<repo>"  # CI deploys through GitHub OIDC
# alert_emails      = ["platform-alerts@example.com"]
