package telemetry

import (
	"regexp"
	"testing"
)

func TestServiceResourceHasAProcessInstanceID(t *testing.T) {
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	ids := map[string]bool{}
	for range 2 {
		res, err := serviceResource("svc")
		if err != nil {
			t.Fatal(err)
		}
		if v, ok := res.Set().Value("service.name"); !ok || v.AsString() != "svc" {
			t.Errorf("service.name = %v", v)
		}
		v, ok := res.Set().Value(serviceInstanceID)
		if !ok || !uuid.MatchString(v.AsString()) {
			t.Fatalf("service.instance.id = %q, want a version 4 UUID", v.AsString())
		}
		ids[v.AsString()] = true
	}
	// Two telemetry setups (two processes) must not share an id.
	if len(ids) != 2 {
		t.Errorf("two resources share service.instance.id %v", ids)
	}
}
