package runner

import (
	"context"
	"encoding/json"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/plan"
	"github.com/sluicehq/sluice/store"
)

// Cache is the engine's step cache kept in the store.
type Cache struct{ Store store.Store }

var _ engine.Cache = Cache{}

// Get returns the outputs cached under key, if their local artifacts are
// still there.
func (c Cache) Get(ctx context.Context, key string) (*plan.Outputs, bool) {
	b, ok, err := c.Store.GetCacheEntry(ctx, key)
	if err != nil || !ok {
		return nil, false
	}
	var o plan.Outputs
	if json.Unmarshal(b, &o) != nil {
		return nil, false
	}
	if o.Parameters == nil {
		o.Parameters = map[string]any{}
	}
	if !engine.ArtifactsPresent(&o) {
		return nil, false
	}
	return &o, true
}

// Put caches outputs under key.
func (c Cache) Put(ctx context.Context, key string, out *plan.Outputs) error {
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	return c.Store.PutCacheEntry(ctx, key, b)
}
