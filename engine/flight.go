package engine

import (
	"context"
	"sync"
)

// flights makes concurrent steps with the same cache key run once in an
// engine: the first to arrive runs; the others wait until it has ended and
// then look in the cache again, where they find its outputs (or, if it
// failed, the next of them runs). Tuning trials of one pipeline start
// together and share their upstream steps this way, and so do any runs of
// the same steps. The zero value is ready.
type flights struct {
	mu sync.Mutex
	m  map[string]chan struct{}
}

// acquire waits until no other step of the engine holds key, then holds it
// until release is called.
func (f *flights) acquire(ctx context.Context, key string) (release func(), err error) {
	for {
		f.mu.Lock()
		if f.m == nil {
			f.m = map[string]chan struct{}{}
		}
		busy, held := f.m[key]
		if !held {
			done := make(chan struct{})
			f.m[key] = done
			f.mu.Unlock()
			return func() {
				f.mu.Lock()
				delete(f.m, key)
				f.mu.Unlock()
				close(done)
			}, nil
		}
		f.mu.Unlock()
		select {
		case <-busy:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
