package api

import (
	"os"
	"testing"

	"github.com/sluicehq/sluice/internal/pgtest"
)

// TestMain stops the PostgreSQL server the tests may have started
// (pgtest starts one per test binary, on first use).
func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Stop()
	os.Exit(code)
}
