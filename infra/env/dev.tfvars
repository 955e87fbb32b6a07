# Development environment: cheap, scales to zero.
# subscription_id is passed by the deploy workflow (TF_VAR_subscription_id).
environment                   = "dev"
location                      = "westeurope"
name_suffix                   = "d01"
http_always_ready_instances   = 0
maximum_instance_count        = 40
storage_replication_type      = "LRS"
cosmos_backup_tier            = "Continuous7Days"
log_retention_days            = 30
log_daily_quota_gb            = 2
elastic_cloud_email_address   = "mediaspecs-ops@example.com"
alert_email_addresses         = ["mediaspecs-ops@example.com"]
rejected_file_retention_days  = 30
processed_file_retention_days = 30
report_retention_days         = 30

# The Keycloak realm issuing the API's access tokens (placeholder host until the identity provider is deployed).
oidc_issuer = "https://id-dev.mediaspecs.example.com/realms/mediaspecs"
