package devhost_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mediaspecs/catalogue/shared/funchost"
)

// nullStatusTimerInfo is TimerInfo on a first run, byte for byte as captured.
const nullStatusTimerInfo = `{"Schedule":{"AdjustForDST":true},"ScheduleStatus":null,"IsPastDue":false}`

// timerInfo returns the raw TimerInfo of a timer invocation and checks
// that Metadata holds only sys.
func timerInfo(t *testing.T, rec record, binding, function string) (json.RawMessage, funchost.TimerInfo) {
	t.Helper()
	req, err := funchost.ParseRequest([]byte(rec.Body))
	if err != nil {
		t.Fatal(err)
	}
	if len(req.Metadata) != 1 {
		t.Errorf("Metadata = %v, want only sys", req.Metadata)
	}
	if sys, err := req.Sys(); err != nil || sys.MethodName != function {
		t.Errorf("sys = %+v, %v; want MethodName %s", sys, err, function)
	}
	ti, err := req.Timer(binding)
	if err != nil {
		t.Fatalf("funchost Timer: %v", err)
	}
	return req.Data[binding], ti
}

// TestAdminRoute proves POST /admin/functions/<Name>: 202 at once, then a
// timer gets TimerInfo with ScheduleStatus null and a queue function its
// input as the message with DequeueCount "0"; bad requests are refused.
func TestAdminRoute(t *testing.T) {
	h := start(t, options{})
	for _, tc := range []struct {
		name       string
		method     string
		path       string
		body       string
		wantStatus int
		check      func(t *testing.T)
	}{
		{name: "timer", method: "POST", path: "/admin/functions/Tick", body: `{"input":""}`, wantStatus: 202, check: func(t *testing.T) {
			rec := h.waitRecords("/Tick", 1)[0]
			raw, ti := timerInfo(t, rec, "timer", "Tick")
			if string(raw) != nullStatusTimerInfo || ti.IsPastDue || ti.ScheduleStatus != nil {
				t.Errorf("TimerInfo = %s, want %s", raw, nullStatusTimerInfo)
			}
			checkHostHeaders(t, rec, hostUserAgent, "")
		}},
		{name: "queue function, name case-insensitive", method: "POST", path: "/admin/functions/queuework", body: `{"input":"from admin"}`, wantStatus: 202, check: func(t *testing.T) {
			rec := h.recordWith(t, "/QueueWork", "from admin")
			want := regexp.MustCompile(`^\{"Data":\{"msg":"\\"from admin\\""\},"Metadata":\{"DequeueCount":"0","sys":\{"MethodName":"QueueWork","UtcNow":"` +
				utcNowPattern + `","RandGuid":"` + guidPattern + `"\}\}\}$`)
			if !want.MatchString(rec.Body) {
				t.Errorf("envelope = %s, want %s", rec.Body, want)
			}
		}},
		{name: "unknown function", method: "POST", path: "/admin/functions/Nope", body: `{"input":""}`, wantStatus: 404},
		{name: "http function", method: "POST", path: "/admin/functions/HttpEcho", body: `{"input":""}`, wantStatus: 400},
		{name: "wrong method", method: "GET", path: "/admin/functions/Tick", wantStatus: 405},
		{name: "bad body", method: "POST", path: "/admin/functions/Tick", body: `not json`, wantStatus: 400},
		{name: "host status", method: "GET", path: "/admin/host/status", wantStatus: 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, hdr, body := call(t, tc.method, h.base+tc.path, strings.NewReader(tc.body), nil)
			if status != tc.wantStatus {
				t.Errorf("status = %d, want %d (body %s)", status, tc.wantStatus, body)
			}
			if status != http.StatusAccepted && !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
				t.Errorf("Content-Type = %q, want JSON", hdr.Get("Content-Type"))
			}
			if tc.check != nil {
				tc.check(t)
			}
		})
	}
}

// localTimePattern is a .NET local DateTime as Newtonsoft writes it.
var localTimePattern = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,7})?\+00:00$`)

// TestTimerSchedule fires a timer every second (NCRONTAB */1 * * * * *):
// the first run gets ScheduleStatus null, the next one the status the
// first run recorded (Last, Next = the occurrence now running,
// LastUpdated), and IsPastDue false.
func TestTimerSchedule(t *testing.T) {
	h := start(t, options{values: map[string]string{"TICK_SCHEDULE": "*/1 * * * * *"}})
	recs := h.waitRecords("/Tick", 2)
	raw, first := timerInfo(t, recs[0], "timer", "Tick")
	if string(raw) != nullStatusTimerInfo || first.ScheduleStatus != nil {
		t.Errorf("first TimerInfo = %s, want %s", raw, nullStatusTimerInfo)
	}
	raw, second := timerInfo(t, recs[1], "timer", "Tick")
	if got := objectKeys(t, raw); strings.Join(got, ",") != "Schedule,ScheduleStatus,IsPastDue" {
		t.Errorf("TimerInfo keys = %v", got)
	}
	var wire struct {
		ScheduleStatus map[string]string
	}
	if err := json.Unmarshal(raw, &wire); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"Last", "Next", "LastUpdated"} {
		if !localTimePattern.MatchString(wire.ScheduleStatus[k]) {
			t.Errorf("ScheduleStatus.%s = %q, want a .NET local time with +00:00", k, wire.ScheduleStatus[k])
		}
	}
	st := second.ScheduleStatus
	if st == nil || second.IsPastDue || !second.Schedule.AdjustForDST {
		t.Fatalf("second TimerInfo = %s, want a populated ScheduleStatus", raw)
	}
	if !st.Next.After(st.Last) || st.Next.Nanosecond() != 0 || st.LastUpdated.Before(st.Last) {
		t.Errorf("ScheduleStatus = %+v, want Last < Next (a whole second) and LastUpdated >= Last", st)
	}
	if !st.Next.After(time.Time{}) {
		t.Errorf("ScheduleStatus.Next is zero")
	}
}

// TestTimerRunOnStartup proves runOnStartup: the WarmUp timer (yearly
// schedule) runs once when devhost starts.
func TestTimerRunOnStartup(t *testing.T) {
	h := start(t, options{app: "app-plain"})
	rec := h.waitRecords("/WarmUp", 1)[0]
	raw, _ := timerInfo(t, rec, "timer", "WarmUp")
	if string(raw) != nullStatusTimerInfo {
		t.Errorf("TimerInfo = %s, want %s", raw, nullStatusTimerInfo)
	}
}
