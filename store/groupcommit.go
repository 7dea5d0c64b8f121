package store

import (
	"context"
	"sync"
	"sync/atomic"
)

// taskBatcher is PutTask's group commit. The server writes every task
// state change before acting on it, so task writes are the store's most
// frequent; concurrent ones share a transaction.
//
// The first caller to find no batch in flight leads: it waits for its turn
// to write (on SQLite, the one-writer lock), takes every put queued by
// then, writes them (writeTasks) and hands each waiting caller its outcome.
// Puts queued meanwhile wait for the next batch, led by the first of them.
// So every caller returns only after its own row is committed (or with the
// error that failed it), and puts are written in the order they were
// queued.
type taskBatcher struct {
	mu      sync.Mutex
	queue   []*taskPut
	leading bool
	// batches counts the batches written (benchmarks report puts per
	// batch).
	batches atomic.Int64
	// pause, when set (tests), is received from before a leader takes its
	// batch, so that a test can queue a batch of a known size.
	pause chan struct{}
}

// taskPut is one queued PutTask.
type taskPut struct {
	runID, id string
	args      []any // putTask's arguments
	// For PostgreSQL's one-statement batch: the task (normalized), its
	// encoded argv, and putTask's keep-created argument.
	task        Task
	argv        any
	keepCreated any
	done        chan putOutcome
}

type putOutcome struct {
	err  error
	lead bool // the receiver leads the next batch
}

// put queues p and returns once it is written.
func (b *taskBatcher) put(ctx context.Context, s *sqlStore, p *taskPut) error {
	p.done = make(chan putOutcome, 1)
	b.mu.Lock()
	b.queue = append(b.queue, p)
	if b.leading {
		b.mu.Unlock()
		// Wait even if ctx ends: the put is queued and will be written.
		if o := <-p.done; !o.lead {
			return o.err
		}
	} else {
		b.leading = true
		b.mu.Unlock()
	}
	return b.lead(ctx, s, p)
}

// lead writes one batch, which includes me, then hands the lead to the
// first put queued since, if any.
func (b *taskBatcher) lead(ctx context.Context, s *sqlStore, me *taskPut) error {
	// One caller's cancellation must not fail the others' writes.
	ctx = context.WithoutCancel(ctx)
	unlock := s.lockWriter()
	if b.pause != nil {
		<-b.pause
	}
	b.mu.Lock()
	batch := b.queue
	b.queue = nil
	b.mu.Unlock()
	errs := s.writeTasks(ctx, batch)
	b.batches.Add(1)
	unlock()

	var mine error
	for i, p := range batch {
		if p == me {
			mine = errs[i]
			continue
		}
		p.done <- putOutcome{err: errs[i]}
	}
	b.mu.Lock()
	if len(b.queue) > 0 {
		next := b.queue[0]
		b.mu.Unlock()
		next.done <- putOutcome{lead: true}
	} else {
		b.leading = false
		b.mu.Unlock()
	}
	return mine
}
