// Package dashboard builds the catalogue's Grafana dashboards as code with the
// Grafana Foundation SDK (dashboard schema of Grafana 12, the version Azure
// Managed Grafana runs): an overview (SLO burn for search and detail, RED per
// function, index freshness, queue age, Cosmos DB 429s and request charge)
// and one dashboard per flow (ingestion, search and detail, reindex and
// maintenance).
//
// `go run ./shared/cmd/dashboards` (make dashboards) writes them as JSON into
// infra/observability/dashboards/, which Terraform provisions; a test fails
// when the committed JSON is not what this package generates, and another
// runs every panel's query against a real Prometheus scraping a real handler.
//
// Every query is written to return a series whenever the metric it reads
// exists, even when the thing it measures is zero: ratios are computed as
// 1 - good/total rather than bad/total, because a counter of bad events has
// no series until the first one happens and bad/total would then be empty.
package dashboard

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// Template variables every dashboard has. Queries use them as $name; the
// panel test substitutes them.
const (
	// VarDatasource selects the Prometheus data source (Azure Monitor
	// managed Prometheus in Azure, the local Prometheus in development).
	VarDatasource = "datasource"
	// VarFunction filters the per-function panels (a regex; All is ".+").
	VarFunction = "function"
	// VarIngestQueue and VarReindexQueue name the two queues (app settings
	// INGEST_QUEUE and REINDEX_QUEUE); their poison queues are <name>-poison.
	VarIngestQueue  = "ingest_queue"
	VarReindexQueue = "reindex_queue"
)

// NightlyJob is the job_name label of the nightly maintenance job
// (shared/cmd/handler's maintenance.Job name).
const NightlyJob = "nightly-maintenance"

// board describes one dashboard.
type board struct {
	file        string // file name in infra/observability/dashboards
	uid         string
	title       string
	description string
	rows        []row
}

type row struct {
	title  string
	panels []panel
}

type panelKind int

const (
	timeSeries panelKind = iota
	singleStat
)

type panel struct {
	kind        panelKind
	title       string
	description string
	unit        string
	// red, when set, colours values at or above it red (green below).
	red     *float64
	queries []query
}

type query struct {
	expr   string
	legend string
}

func ptr[T any](v T) *T { return &v }

// Files returns each dashboard's file name and JSON, as committed in
// infra/observability/dashboards.
func Files() (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, b := range boards() {
		d, err := b.build()
		if err != nil {
			return nil, fmt.Errorf("dashboard %s: %w", b.uid, err)
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false) // PromQL's > and < stay readable
		if err := enc.Encode(d); err != nil {
			return nil, fmt.Errorf("dashboard %s: %w", b.uid, err)
		}
		out[b.file] = buf.Bytes()
	}
	return out, nil
}

// FileNames lists the dashboards' file names, sorted.
func FileNames() []string {
	var names []string
	for _, b := range boards() {
		names = append(names, b.file)
	}
	sort.Strings(names)
	return names
}

var datasourceRef = common.DataSourceRef{Type: ptr("prometheus"), Uid: ptr("${" + VarDatasource + "}")}

// build uses the classic dashboard model (schema 42, Grafana 11 and 12), not
// the SDK's dashboardv2: v2 is still experimental in Grafana 12 (behind the
// kubernetesDashboards feature), and Azure Managed Grafana and Terraform's
// grafana_dashboard provision the classic JSON model.
//
//lint:ignore SA1019 the classic model is the one Grafana 11/12 provision (see above)
func (b board) build() (dashboard.Dashboard, error) {
	//lint:ignore SA1019 see build's comment
	db := dashboard.NewDashboardBuilder(b.title).
		Uid(b.uid).
		Description(b.description).
		Tags([]string{"mediaspecs", "generated"}).
		Editable().
		Refresh("1m").
		Time("now-6h", "now").
		Timezone(common.TimeZoneUtc).
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		WithVariable(dashboard.NewDatasourceVariableBuilder(VarDatasource).
			Label("Data source").
			Type("prometheus")).
		WithVariable(dashboard.NewQueryVariableBuilder(VarFunction).
			Label("Function").
			Datasource(datasourceRef).
			Query(dashboard.StringOrMap{String: ptr("label_values(mediaspecs_function_requests_total, function)")}).
			Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
			Sort(dashboard.VariableSortAlphabeticalAsc).
			Multi(true).
			IncludeAll(true).
			AllValue(".+")).
		WithVariable(textVariable(VarIngestQueue, "Ingest queue", "ingest-events")).
		WithVariable(textVariable(VarReindexQueue, "Reindex queue", "reindex"))
	// Ids in layout order: stable, so regenerating changes nothing.
	id := uint32(0)
	for _, r := range b.rows {
		id++
		db = db.WithRow(dashboard.NewRowBuilder(r.title).Id(id))
		for _, p := range r.panels {
			id++
			db = db.WithPanel(p.builder(id))
		}
	}
	return db.Build()
}

func textVariable(name, label, value string) *dashboard.TextBoxVariableBuilder {
	return dashboard.NewTextBoxVariableBuilder(name).
		Label(label).
		DefaultValue(dashboard.StringOrMap{String: ptr(value)}).
		Current(dashboard.VariableOption{
			Text:  dashboard.StringOrArrayOfString{String: ptr(value)},
			Value: dashboard.StringOrArrayOfString{String: ptr(value)},
		})
}

func (p panel) targets() []cog.Builder[variants.Dataquery] {
	var out []cog.Builder[variants.Dataquery]
	for i, q := range p.queries {
		out = append(out, prometheus.NewDataqueryBuilder().
			Datasource(datasourceRef).
			RefId(string(rune('A'+i))).
			Expr(q.expr).
			LegendFormat(q.legend))
	}
	return out
}

func (p panel) thresholds() *dashboard.ThresholdsConfigBuilder {
	steps := []dashboard.Threshold{{Value: nil, Color: "green"}}
	if p.red != nil {
		steps = append(steps, dashboard.Threshold{Value: p.red, Color: "red"})
	}
	return dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps(steps)
}

func (p panel) builder(id uint32) cog.Builder[dashboard.Panel] {
	switch p.kind {
	case singleStat:
		return stat.NewPanelBuilder().
			Id(id).
			Title(p.title).
			Description(p.description).
			Datasource(datasourceRef).
			Unit(p.unit).
			Thresholds(p.thresholds()).
			ColorMode(common.BigValueColorModeBackground).
			GraphMode(common.BigValueGraphModeArea).
			Targets(p.targets()).
			Height(6).Span(6)
	default:
		b := timeseries.NewPanelBuilder().
			Id(id).
			Title(p.title).
			Description(p.description).
			Datasource(datasourceRef).
			Unit(p.unit).
			Thresholds(p.thresholds()).
			Targets(p.targets()).
			Height(8).Span(12)
		if p.red != nil {
			b = b.ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeLine))
		}
		return b
	}
}
