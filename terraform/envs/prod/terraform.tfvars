# prod: sizes (log retention, PITR, deletion protection, alarms, NAT) come from
# config/platform.yaml environments.prod; only account-level wiring lives here.
environment = "prod"

# Kafka: config kafka.mode = external -> the cluster the bridge publishes to.
kafka_bootstrap_servers = "kafka.prod.example.com:9098"
kafka_security_protocol = "SASL_SSL"

# github_repository = "<owner>/<repo>"  # CI deploys through GitHub OIDC
# alert_emails      = ["platform-alerts@example.com"]
