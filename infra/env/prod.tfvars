# Production: one always-ready HTTP instance (no cold start on the API),
# zone-redundant storage, 30-day point-in-time restore for Cosmos DB.
# subscription_id is passed by the deploy workflow (TF_VAR_subscription_id).
environment                   = "prod"
location                      = "westeurope"
name_suffix                   = "p01"
http_always_ready_instances   = 1
maximum_instance_count        = 100
storage_replication_type      = "ZRS"
cosmos_backup_tier            = "Continuous30Days"
log_retention_days            = 90
log_daily_quota_gb            = -1
elastic_cloud_email_address   = "mediaspecs-ops@example.com"
alert_email_addresses         = ["mediaspecs-ops@example.com"]
processed_file_retention_days = 365
rejected_file_retention_days  = 90
report_retention_days         = 180

# The Keycloak realm issuing the API's access tokens (placeholder host until the identity provider is deployed).
oidc_issuer = "https://id.mediaspecs.example.com/realms/mediaspecs"
