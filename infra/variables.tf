# Inputs. Per-environment values are in env/<environment>.tfvars.

variable "subscription_id" {
  description = "Azure subscription to deploy into (GUID). Not a secret; set in env/*.tfvars or with TF_VAR_subscription_id / ARM_SUBSCRIPTION_ID."
  type        = string
}

variable "environment" {
  description = "Environment name, used in resource names and tags: dev or prod."
  type        = string
  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "environment must be dev or prod."
  }
}

variable "location" {
  description = "Azure region of every resource. It must offer Flex Consumption and Elastic Cloud on Azure (e.g. westeurope, francecentral)."
  type        = string
  default     = "westeurope"
}

variable "name_prefix" {
  description = "Prefix of every resource name."
  type        = string
  default     = "mediaspecs"
}

variable "name_suffix" {
  description = "Short lowercase alphanumeric suffix that makes the globally unique names (storage account, Key Vault, function app, Cosmos DB account) unique; pick once per environment."
  type        = string
  validation {
    condition     = can(regex("^[a-z0-9]{2,6}$", var.name_suffix))
    error_message = "name_suffix must be 2-6 lowercase letters or digits."
  }
}

variable "tags" {
  description = "Extra tags merged into every resource's tags."
  type        = map(string)
  default     = {}
}

# --- Function app -----------------------------------------------------------

variable "http_always_ready_instances" {
  description = "Always-ready instances of the HTTP group (all HTTP functions scale together). 0 = scale to zero (cold starts); 1+ removes cold starts for the API and is billed while idle."
  type        = number
  default     = 0
  validation {
    condition     = var.http_always_ready_instances >= 0 && var.http_always_ready_instances <= 20
    error_message = "http_always_ready_instances must be between 0 and 20."
  }
}

variable "maximum_instance_count" {
  description = "Scale-out ceiling of the function app (Flex Consumption: 40-1000). Also bounds the load on Cosmos DB and Elasticsearch."
  type        = number
  default     = 40
}

variable "instance_memory_in_mb" {
  description = "Instance memory size of the function app: 2048 or 4096 MB (CPU scales with it)."
  type        = number
  default     = 2048
  validation {
    condition     = contains([2048, 4096], var.instance_memory_in_mb)
    error_message = "instance_memory_in_mb must be 2048 or 4096."
  }
}

variable "log_level" {
  description = "The handler's LOG_LEVEL: debug, info, warn or error."
  type        = string
  default     = "info"
  validation {
    condition     = contains(["debug", "info", "warn", "error"], var.log_level)
    error_message = "log_level must be debug, info, warn or error."
  }
}

# --- Storage ------------------------------------------------------------------

variable "storage_replication_type" {
  description = "Replication of the storage account: LRS (dev) or ZRS (prod)."
  type        = string
  default     = "ZRS"
  validation {
    condition     = contains(["LRS", "ZRS", "GRS", "GZRS"], var.storage_replication_type)
    error_message = "storage_replication_type must be LRS, ZRS, GRS or GZRS."
  }
}

variable "processed_file_retention_days" {
  description = "Days a successfully ingested supplier file is kept under supplier-drop/processed/ (moved to cool after 30 days) before deletion."
  type        = number
  default     = 365
}

variable "rejected_file_retention_days" {
  description = "Days a rejected supplier file is kept under supplier-drop/rejected/ before deletion."
  type        = number
  default     = 90
}

variable "report_retention_days" {
  description = "Days ingest reports, maintenance reports and Event Grid dead letters are kept."
  type        = number
  default     = 90
}

# --- Cosmos DB ----------------------------------------------------------------

variable "cosmos_backup_tier" {
  description = "Continuous backup tier of Cosmos DB: Continuous7Days (free) or Continuous30Days."
  type        = string
  default     = "Continuous30Days"
  validation {
    condition     = contains(["Continuous7Days", "Continuous30Days"], var.cosmos_backup_tier)
    error_message = "cosmos_backup_tier must be Continuous7Days or Continuous30Days."
  }
}

# --- Elasticsearch ------------------------------------------------------------

variable "elastic_sku_name" {
  description = "Marketplace plan of the Elastic Cloud on Azure resource."
  type        = string
  default     = "ess-consumption-2024_Monthly"
}

variable "elastic_cloud_email_address" {
  description = "Email address of the Elastic Cloud account owner (a team mailbox), required by Elastic Cloud on Azure."
  type        = string
}

variable "secret_expiration_date" {
  description = "Expiration date (RFC 3339) of the Key Vault secrets; rotate the Elasticsearch API key before it."
  type        = string
  default     = "2027-12-31T00:00:00Z"
}

# --- Monitoring ---------------------------------------------------------------

variable "log_retention_days" {
  description = "Log Analytics retention in days (30-730)."
  type        = number
  default     = 30
}

variable "log_daily_quota_gb" {
  description = "Daily ingestion cap of Log Analytics in GB (-1 = none); the main cost guard of monitoring."
  type        = number
  default     = -1
}

variable "alert_email_addresses" {
  description = "Who the action group emails when an alert fires."
  type        = list(string)
  default     = []
}

variable "availability_test_locations" {
  description = "Application Insights availability test locations calling /api/health (at least 3 for the 2-failed-locations rule)."
  type        = list(string)
  default     = ["emea-nl-ams-azr", "emea-fr-pra-edge", "emea-gb-db3-azr"]
}

variable "function_failure_threshold" {
  description = "Failed invocations of one background function (queue or timer) within 15 minutes that raise an alert."
  type        = number
  default     = 5
}

variable "http_5xx_ratio_percent" {
  description = "Percentage of HTTP requests answered 5xx over 15 minutes (with at least 20 requests) that raises an alert."
  type        = number
  default     = 5
}

variable "cosmos_429_ratio_percent" {
  description = "Percentage of Cosmos DB requests throttled (429) over 15 minutes (with at least 50 requests) that raises an alert."
  type        = number
  default     = 5
}

variable "oidc_issuer" {
  description = "The Keycloak realm that issues the API's access tokens, exactly as tokens carry it in iss (https://<host>/realms/mediaspecs); the handler runs OIDC discovery at it."
  type        = string

  validation {
    condition     = can(regex("^https://[^/]+/realms/[^/]+$", var.oidc_issuer))
    error_message = "oidc_issuer must be an https realm URL such as https://id.example.com/realms/mediaspecs, without a trailing slash."
  }
}

variable "cors_allowed_origins" {
  description = "Web application origins allowed to call the API from a browser (CORS), e.g. [\"https://app.mediaspecs.example\"]. Never \"*\"."
  type        = list(string)
  default     = []

  validation {
    condition     = !contains(var.cors_allowed_origins, "*")
    error_message = "cors_allowed_origins must list origins; \"*\" would let any site call the API with a user's token."
  }
}

variable "b2b_limits" {
  description = "B2B API rate limits and daily quotas per client (B2B_LIMITS, shared/quota ParseLimits format), e.g. \"default=10/s burst=50 daily=50000; agency-x=20/s burst=80 daily=200000\". Client ids are the Keycloak client ids of the agencies' contracts."
  type        = string
  default     = "default=10/s burst=50 daily=50000"

  validation {
    condition     = can(regex("(^|;)\\s*default=", var.b2b_limits))
    error_message = "b2b_limits must set the default allowance (default=<rate>/s burst=<n> daily=<n>)."
  }
}

# --- Telemetry (telemetry.tf, alerts-prometheus.tf) ---------------------------

variable "trace_sample_ratio" {
  description = "Share of new root traces the handler samples (TRACE_SAMPLE_RATIO, 0-1); a sampled traceparent from the host is always followed."
  type        = number
  default     = 0.1

  validation {
    condition     = var.trace_sample_ratio >= 0 && var.trace_sample_ratio <= 1
    error_message = "trace_sample_ratio must be between 0 and 1."
  }
}

variable "otel_collector_image" {
  description = "OpenTelemetry Collector contrib image (needs azureauth, bearertokenauth, prometheusremotewrite and azuremonitor: contrib >= 0.132.0). Pinned; bump deliberately."
  type        = string
  default     = "ghcr.io/open-telemetry/opentelemetry-collector-releases/opentelemetry-collector-contrib:0.136.0"
}

variable "aad_auth_proxy_image" {
  description = "Azure Monitor's Entra ID auth proxy image (github.com/Azure/aad-auth-proxy RELEASENOTES.md), the sidecar that signs the azuremonitor exporter's requests."
  type        = string
  default     = "mcr.microsoft.com/azuremonitor/auth-proxy/prod/aad-auth-proxy/images/aad-auth-proxy:0.1.0-main-01-10-2024-08b31473"
}

variable "otel_collector_max_replicas" {
  description = "Upper bound of collector replicas (one is always running)."
  type        = number
  default     = 3
}

variable "runbook_base_url" {
  description = "Where the repository's files are browsable; an alert's runbook_url annotation (docs/runbooks/<Alert>.md, relative in the rule files) is appended to it in Azure."
  type        = string
  default     = "https://github.com/mediaspecs/catalogue/blob/main/"

  validation {
    condition     = can(regex("^https://.+/$", var.runbook_base_url))
    error_message = "runbook_base_url must be an https URL ending in /."
  }
}

# --- Dashboards (grafana.tf) -----------------------------------------------------

variable "grafana_major_version" {
  description = "Azure Managed Grafana major version; the dashboards (shared/dashboard) use the classic JSON model Grafana 11 and 12 read."
  type        = string
  default     = "11"
}

variable "grafana_admin_object_ids" {
  description = "Entra ID object ids (users or groups) given Grafana Admin on the dashboards workspace."
  type        = list(string)
  default     = []
}

variable "grafana_viewer_object_ids" {
  description = "Entra ID object ids (users or groups) given Grafana Viewer on the dashboards workspace."
  type        = list(string)
  default     = []
}
