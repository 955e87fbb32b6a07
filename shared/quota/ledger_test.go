package quota_test

import (
	"testing"

	"github.com/mediaspecs/catalogue/shared/quota"
	"github.com/mediaspecs/catalogue/shared/quota/quotatest"
)

func TestMemLedgerConformance(t *testing.T) {
	t.Parallel()
	quotatest.TestLedger(t, quota.NewMemLedger(), "agency")
}
