package funchost

import (
	"encoding/json"
	"time"
)

// TimerInfo is the value of a timer trigger binding (§2.5). The host sends
// it as a real JSON object:
//
//	{"Schedule":{"AdjustForDST":true},"ScheduleStatus":null,"IsPastDue":false}
type TimerInfo struct {
	// Schedule describes the schedule; the host exposes only AdjustForDST.
	Schedule TimerSchedule `json:"Schedule"`
	// ScheduleStatus is nil when the schedule monitor has no state
	// (useMonitor false, or the first run), which is what custom-handler
	// captures show.
	ScheduleStatus *ScheduleStatus `json:"ScheduleStatus"`
	// IsPastDue reports that this run is later than scheduled, e.g. after
	// the app was down. Jobs that must not run twice should check it.
	IsPastDue bool `json:"IsPastDue"`
}

// TimerSchedule is TimerInfo.Schedule.
type TimerSchedule struct {
	AdjustForDST bool `json:"AdjustForDST"`
}

// ScheduleStatus is the schedule monitor's state. Unlike queue dates, these
// keep fractional seconds and the host's local offset. Last is the zero
// time when it arrives as "0001-01-01T00:00:00" (no run recorded yet).
type ScheduleStatus struct {
	Last        time.Time
	Next        time.Time
	LastUpdated time.Time
}

// UnmarshalJSON accepts RFC 3339 timestamps with or without fractional
// seconds, and timestamps without an offset (read as UTC).
func (s *ScheduleStatus) UnmarshalJSON(raw []byte) error {
	var w struct {
		Last        wireTime `json:"Last"`
		Next        wireTime `json:"Next"`
		LastUpdated wireTime `json:"LastUpdated"`
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		return err
	}
	*s = ScheduleStatus{
		Last:        time.Time(w.Last),
		Next:        time.Time(w.Next),
		LastUpdated: time.Time(w.LastUpdated),
	}
	return nil
}

// Timer decodes the timer trigger binding Data[name]. It must be a JSON
// object; anything else wraps [ErrWrongType].
func (r *InvokeRequest) Timer(name string) (TimerInfo, error) {
	raw, err := r.object("Data", name)
	if err != nil {
		return TimerInfo{}, err
	}
	var t TimerInfo
	if err := json.Unmarshal(raw, &t); err != nil {
		return TimerInfo{}, bindingErr("Data", name, err)
	}
	return t, nil
}
