package cosmos

import (
	"context"
	"encoding/json"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"github.com/mediaspecs/catalogue/shared/apperr"
	"github.com/mediaspecs/catalogue/shared/catalog"
)

// ChangesContainerProperties describes the container of change records
// (catalog.Change), one per written title version.
//
// The partition key is /titleId: ingestion writes change records for many
// titles at once, and a per-title key spreads those writes over every
// physical partition (a time-based key such as the day would make one hot
// partition take the whole ingestion). A title's history is a single-partition
// query; the changes feed "everything since T" is a cross-partition query on
// the indexed "at" either way, and Cosmos' own change feed reads all
// partitions in order per partition.
func ChangesContainerProperties(name string) azcosmos.ContainerProperties {
	return azcosmos.ContainerProperties{
		ID:                     name,
		PartitionKeyDefinition: azcosmos.PartitionKeyDefinition{Paths: []string{"/titleId"}},
	}
}

// Changes writes change records to the changes container.
type Changes struct {
	container *azcosmos.ContainerClient
}

// NewChanges returns Changes over the changes container.
func NewChanges(container *azcosmos.ContainerClient) *Changes { return &Changes{container: container} }

// Put upserts c. Its id is "<titleId>:<version>", so writing the record of
// the same title version again (a retried file) replaces it: no duplicates.
func (c *Changes) Put(ctx context.Context, ch catalog.Change) (err error) {
	defer apperr.Wrap(&err, "cosmos.Changes.Put(%q)", ch.ID)
	body, err := json.Marshal(ch)
	if err != nil {
		return err
	}
	_, err = c.container.UpsertItem(ctx, azcosmos.NewPartitionKeyString(ch.TitleID), body, &azcosmos.ItemOptions{EnableContentResponseOnWrite: false})
	if err != nil {
		return translate(err)
	}
	return nil
}
