package dashboard

import "fmt"

// rateWindow is Grafana's rate interval (at least four scrape intervals).
const rateWindow = "$__rate_interval"

// SLO budgets (perf-reliability.md §8; infra/observability/rules/slo.yml for
// search): 99.9 % answered without a 5xx; 99 % of searches within 300 ms and
// 99 % of detail reads within 50 ms (le values are telemetry.DurationBuckets).
const (
	availabilityBudget = 0.001
	latencyBudget      = 0.01
	searchLatencyLE    = "0.3"
	detailLatencyLE    = "0.05"
)

// by renders " by (labels)" for an aggregation, or nothing.
func by(labels string) string {
	if labels == "" {
		return ""
	}
	return " by (" + labels + ")"
}

// errorRatio is the share of requests matching sel answered with a 5xx over
// window, as 1 - good/total so that it is 0, not empty, before the first 5xx.
func errorRatio(sel, labels, window string) string {
	return fmt.Sprintf(`1 - sum%[2]s (rate(mediaspecs_function_requests_total{%[1]s,status_class!="5xx"}[%[3]s])) / sum%[2]s (rate(mediaspecs_function_requests_total{%[1]s}[%[3]s]))`,
		sel, by(labels), window)
}

// slowRatio is the share of requests matching sel slower than le seconds.
func slowRatio(sel, labels, le, window string) string {
	return fmt.Sprintf(`1 - sum%[2]s (rate(mediaspecs_function_duration_seconds_bucket{%[1]s,le="%[3]s"}[%[4]s])) / sum%[2]s (rate(mediaspecs_function_duration_seconds_count{%[1]s}[%[4]s]))`,
		sel, by(labels), le, window)
}

// burn is the error budget burn rate of a bad-event ratio: 1 spends the
// budget exactly over the SLO period, 14.4 spends 2 % of it in an hour.
func burn(ratio string, budget float64) string {
	return fmt.Sprintf("(%s) / %g", ratio, budget)
}

func quantile(q float64, sel, labels string) string {
	return fmt.Sprintf(`histogram_quantile(%g, sum by (%s) (rate(mediaspecs_function_duration_seconds_bucket{%s}[%s])))`,
		q, joinLabels(labels, "le"), sel, rateWindow)
}

func depQuantile(q float64, sel, labels string) string {
	return fmt.Sprintf(`histogram_quantile(%g, sum by (%s) (rate(mediaspecs_dependency_duration_seconds_bucket{%s}[%s])))`,
		q, joinLabels(labels, "le"), sel, rateWindow)
}

func joinLabels(labels, more string) string {
	if labels == "" {
		return more
	}
	return labels + ", " + more
}

// burnPanel shows the burn rate of one SLO over the windows of the SRE
// workbook's multi-window alerts (5m, 1h, 6h).
func burnPanel(title, description string, ratio func(window string) string, budget float64) panel {
	var qs []query
	for _, w := range []string{"5m", "1h", "6h"} {
		qs = append(qs, query{expr: burn(ratio(w), budget), legend: w})
	}
	return panel{title: title, description: description, unit: "short", red: threshold(14.4), queries: qs}
}

func sloPanels(function, name, le, latency string) []panel {
	sel := `function="` + function + `"`
	return []panel{
		burnPanel(name+" availability: error budget burn rate",
			fmt.Sprintf("Burn rate of the %s availability SLO (99.9 %% without a 5xx over 30 days). 14.4 pages (2 %% of the budget in an hour), 6 pages over 6 h, 1 spends the budget exactly.", name),
			func(w string) string { return errorRatio(sel, "", w) }, availabilityBudget),
		burnPanel(name+" latency: error budget burn rate",
			fmt.Sprintf("Burn rate of the %s latency SLO (99 %% within %s over 30 days).", name, latency),
			func(w string) string { return slowRatio(sel, "", le, w) }, latencyBudget),
	}
}

func redPanels(sel string) []panel {
	return []panel{
		{title: "Requests per second by function", unit: "reqps", queries: []query{{
			expr: fmt.Sprintf(`sum by (function) (rate(mediaspecs_function_requests_total{%s}[%s]))`, sel, rateWindow), legend: "{{function}}"}}},
		{title: "5xx ratio by function", unit: "percentunit", red: threshold(0.01), queries: []query{{
			expr: errorRatio(sel, "function", rateWindow), legend: "{{function}}"}}},
		{title: "p99 duration by function", unit: "s", queries: []query{{
			expr: quantile(0.99, sel, "function"), legend: "{{function}}"}}},
		{title: "p50 duration by function", unit: "s", queries: []query{{
			expr: quantile(0.5, sel, "function"), legend: "{{function}}"}}},
	}
}

func functionPanels(function, what string) []panel {
	sel := `function="` + function + `"`
	return []panel{
		{title: function + " " + what + " by status class", unit: "ops", queries: []query{{
			expr:   fmt.Sprintf(`sum by (status_class) (rate(mediaspecs_function_requests_total{%s}[%s]))`, sel, rateWindow),
			legend: "{{status_class}}"}}},
		{title: function + " duration", unit: "s", queries: []query{
			{expr: quantile(0.5, sel, ""), legend: "p50"},
			{expr: quantile(0.95, sel, ""), legend: "p95"},
		}},
	}
}

func queuePanels(queueVar string) []panel {
	sel := fmt.Sprintf(`queue=~"$%[1]s|$%[1]s-poison"`, queueVar)
	return []panel{
		{title: "Oldest waiting message", unit: "s", red: threshold(300),
			description: "Age of the oldest visible message in the queue and its poison queue (read at each scrape).",
			queries:     []query{{expr: fmt.Sprintf(`max by (queue) (mediaspecs_queue_oldest_message_age_seconds{%s})`, sel), legend: "{{queue}}"}}},
		{title: "Messages in the queue", unit: "short",
			description: "Approximate message count; any message in a -poison queue pages.",
			queries:     []query{{expr: fmt.Sprintf(`max by (queue) (mediaspecs_queue_messages{%s})`, sel), legend: "{{queue}}"}}},
	}
}

var (
	freshnessStat = panel{kind: singleStat, title: "Index freshness", unit: "s", red: threshold(900),
		description: "Seconds since the last successful write to the search index (a reindex batch or a rebuild's alias swap).",
		queries:     []query{{expr: `min(mediaspecs_index_freshness_seconds)`}}}
	nightlySinceStat = panel{kind: singleStat, title: "Nightly job: time since last success", unit: "s", red: threshold(26 * 3600),
		description: "The nightly maintenance job alerts when it has not succeeded for 26 hours.",
		queries:     []query{{expr: `time() - max(mediaspecs_job_last_success_timestamp_seconds{job_name="` + NightlyJob + `"})`}}}
	generationStat = panel{kind: singleStat, title: "Serving index generation", unit: "dateTimeAsIso",
		description: "Creation time of the index behind the read alias; it moves at each rebuild's alias swap.",
		queries:     []query{{expr: `max(mediaspecs_index_generation_timestamp_seconds) * 1000`}}}
	cosmos429 = panel{title: "Cosmos DB 429 ratio", unit: "percentunit", red: threshold(0.05),
		description: "Share of Cosmos DB attempts throttled (retried ones included); above 5 % for 10 minutes pages.",
		queries: []query{{expr: fmt.Sprintf(`1 - sum(rate(mediaspecs_dependency_requests_total{dependency="cosmos",status_code!="429"}[%[1]s])) / sum(rate(mediaspecs_dependency_requests_total{dependency="cosmos"}[%[1]s]))`, rateWindow),
			legend: "429 share"}}}
	cosmosCharge = panel{title: "Cosmos DB request charge (RU/s) by status", unit: "short",
		queries: []query{{expr: fmt.Sprintf(`sum by (status_code) (rate(mediaspecs_cosmos_request_charge_total[%s]))`, rateWindow), legend: "{{status_code}}"}}}
	cosmosRequests = panel{title: "Cosmos DB requests by status", unit: "reqps",
		queries: []query{{expr: fmt.Sprintf(`sum by (status_code) (rate(mediaspecs_dependency_requests_total{dependency="cosmos"}[%s]))`, rateWindow), legend: "{{status_code}}"}}}
	cosmosLatency = panel{title: "Cosmos DB attempt duration", unit: "s",
		queries: []query{
			{expr: depQuantile(0.5, `dependency="cosmos"`, ""), legend: "p50"},
			{expr: depQuantile(0.99, `dependency="cosmos"`, ""), legend: "p99"},
		}}
)

func boards() []board {
	allQueues := fmt.Sprintf(`queue=~"$%[1]s|$%[1]s-poison|$%[2]s|$%[2]s-poison"`, VarIngestQueue, VarReindexQueue)
	return []board{
		{
			file: "overview.json", uid: "mediaspecs-overview", title: "MediaSpecs: overview",
			description: "SLO burn for search and detail, RED per function, index freshness, queue age, Cosmos DB throttling and charge. Generated by shared/dashboard; do not edit in Grafana.",
			rows: []row{
				{title: "SLOs", panels: append(sloPanels("Search", "Search", searchLatencyLE, "300 ms"), sloPanels("GetMedia", "Detail", detailLatencyLE, "50 ms")...)},
				{title: "RED per function", panels: redPanels(`function=~"$function"`)},
				{title: "Freshness and queues", panels: []panel{
					freshnessStat,
					{kind: singleStat, title: "Oldest waiting message", unit: "s", red: threshold(300),
						queries: []query{{expr: fmt.Sprintf(`max(mediaspecs_queue_oldest_message_age_seconds{%s})`, allQueues)}}},
					nightlySinceStat,
					generationStat,
					{title: "Oldest waiting message by queue", unit: "s",
						queries: []query{{expr: fmt.Sprintf(`max by (queue) (mediaspecs_queue_oldest_message_age_seconds{%s})`, allQueues), legend: "{{queue}}"}}},
					{title: "Messages by queue", unit: "short",
						queries: []query{{expr: fmt.Sprintf(`max by (queue) (mediaspecs_queue_messages{%s})`, allQueues), legend: "{{queue}}"}}},
				}},
				{title: "Cosmos DB", panels: []panel{cosmos429, cosmosCharge}},
			},
		},
		{
			file: "ingestion.json", uid: "mediaspecs-ingestion", title: "MediaSpecs: ingestion",
			description: "Supplier file drop → IngestSupplierFile → Cosmos DB → reindex messages. Generated by shared/dashboard.",
			rows: []row{
				{title: "Files and rows", panels: []panel{
					{title: "Files ingested per minute by verdict", unit: "short", queries: []query{{
						expr: fmt.Sprintf(`sum by (verdict) (rate(mediaspecs_ingest_files_total[%s])) * 60`, rateWindow), legend: "{{verdict}}"}}},
					{title: "Rows per minute by supplier and outcome", unit: "short", queries: []query{{
						expr: fmt.Sprintf(`sum by (supplier, outcome) (rate(mediaspecs_ingest_rows_total[%s])) * 60`, rateWindow), legend: "{{supplier}} {{outcome}}"}}},
					{title: "Rejected row share by profile", unit: "percentunit", queries: []query{{
						expr:   fmt.Sprintf(`1 - sum by (profile) (rate(mediaspecs_ingest_rows_total{outcome="accepted"}[%[1]s])) / sum by (profile) (rate(mediaspecs_ingest_rows_total[%[1]s]))`, rateWindow),
						legend: "{{profile}}"}}},
					{title: "Rows since start by supplier and outcome", unit: "short", queries: []query{{
						expr: `sum by (supplier, outcome) (mediaspecs_ingest_rows_total)`, legend: "{{supplier}} {{outcome}}"}}},
				}},
				{title: "IngestSupplierFile", panels: functionPanels("IngestSupplierFile", "invocations")},
				{title: "Ingest queue", panels: queuePanels(VarIngestQueue)},
				{title: "Cosmos DB", panels: []panel{cosmosRequests, cosmosCharge, cosmos429, cosmosLatency}},
			},
		},
		{
			file: "search.json", uid: "mediaspecs-search", title: "MediaSpecs: search and detail",
			description: "Search, Suggest and GetMedia: SLOs, RED, the serving index and Cosmos DB point reads. Generated by shared/dashboard.",
			rows: []row{
				{title: "SLOs", panels: append(sloPanels("Search", "Search", searchLatencyLE, "300 ms"), sloPanels("GetMedia", "Detail", detailLatencyLE, "50 ms")...)},
				{title: "Latency SLIs", panels: []panel{
					{title: "Share of searches slower than 300 ms", unit: "percentunit", red: threshold(latencyBudget), queries: []query{{
						expr: slowRatio(`function="Search"`, "", searchLatencyLE, rateWindow), legend: "Search"}}},
					{title: "Share of detail reads slower than 50 ms", unit: "percentunit", red: threshold(latencyBudget), queries: []query{{
						expr: slowRatio(`function="GetMedia"`, "", detailLatencyLE, rateWindow), legend: "GetMedia"}}},
				}},
				{title: "RED", panels: redPanels(`function=~"Search|Suggest|GetMedia"`)},
				{title: "Serving index and Cosmos DB", panels: []panel{
					generationStat,
					{kind: singleStat, title: "Age of the serving index", unit: "s", red: threshold(26 * 3600),
						queries: []query{{expr: `time() - max(mediaspecs_index_generation_timestamp_seconds)`}}},
					freshnessStat,
					cosmosLatency, cosmosCharge,
				}},
			},
		},
		{
			file: "reindex.json", uid: "mediaspecs-reindex", title: "MediaSpecs: reindex and maintenance",
			description: "ReindexMedia (incremental), the nightly rebuild with alias swap, drift repair and retention. Generated by shared/dashboard.",
			rows: []row{
				{title: "ReindexMedia", panels: append(functionPanels("ReindexMedia", "invocations"),
					freshnessStat,
					panel{kind: singleStat, title: "Last index write", unit: "dateTimeAsIso",
						queries: []query{{expr: `max(mediaspecs_index_last_write_timestamp_seconds) * 1000`}}},
					panel{title: "Elasticsearch bulk rejections per minute", unit: "short", red: threshold(1),
						description: "Bulk items Elasticsearch rejected for back-pressure; any rejection pages.",
						queries:     []query{{expr: fmt.Sprintf(`sum(rate(mediaspecs_search_bulk_rejections_total[%s])) * 60`, rateWindow), legend: "rejected"}}},
				)},
				{title: "Reindex queue", panels: queuePanels(VarReindexQueue)},
				{title: "Nightly maintenance", panels: []panel{
					nightlySinceStat,
					generationStat,
					{title: "Nightly runs in the last 24 h by outcome", unit: "short", queries: []query{{
						expr: `sum by (outcome) (increase(mediaspecs_job_runs_total{job_name="` + NightlyJob + `"}[1d]))`, legend: "{{outcome}}"}}},
					{title: "Cosmos DB ↔ index drift at the last check", unit: "short", red: threshold(1),
						description: "Titles missing from the index, extra in it, or stale, found (and repaired) by the nightly drift step.",
						queries:     []query{{expr: `max by (kind) (mediaspecs_index_drift)`, legend: "{{kind}}"}}},
					{title: "NightlyMaintenance mean duration", unit: "s", queries: []query{{
						expr:   `max(mediaspecs_function_duration_seconds_sum{function="NightlyMaintenance"} / mediaspecs_function_duration_seconds_count{function="NightlyMaintenance"})`,
						legend: "mean since start"}}},
				}},
			},
		},
	}
}

// threshold is a panel's red threshold.
func threshold(v float64) *float64 { return &v }
