package telemetry

import (
	"crypto/rand"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
)

// serviceInstanceID is the resource attribute that tells concurrent
// processes of one service apart.
const serviceInstanceID = "service.instance.id"

// serviceResource is the resource of every span and metric: the SDK's
// defaults (OTEL_RESOURCE_ATTRIBUTES included), service.name, and a
// service.instance.id unique to this process unless the environment already
// set one. In Azure, Flex Consumption runs several instances at once and the
// OpenTelemetry Collector remote-writes their metrics to one Azure Monitor
// workspace (infra/telemetry.tf); the instance id becomes the instance
// label there, without which the cumulative counters of two instances would
// land in one series and overwrite each other.
func serviceResource(serviceName string) (*resource.Resource, error) {
	base := resource.Default()
	attrs := []attribute.KeyValue{attribute.String("service.name", serviceName)}
	if _, ok := base.Set().Value(serviceInstanceID); !ok {
		attrs = append(attrs, attribute.String(serviceInstanceID, newInstanceID()))
	}
	return resource.Merge(base, resource.NewSchemaless(attrs...))
}

// newInstanceID returns a random (version 4) UUID, the form the semantic
// conventions recommend for service.instance.id.
func newInstanceID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
