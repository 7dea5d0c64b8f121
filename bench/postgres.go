package main

import (
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/sluicehq/sluice/internal/pgtest"
)

// The bench measures W6 and API on PostgreSQL too. With -pg auto (the
// default) it uses internal/pgtest: the server at SLUICE_TEST_POSTGRES_DSN,
// or a throwaway PostgreSQL started from the machine's initdb/pg_ctl (as
// the store tests do: fsync and synchronous_commit off), with a fresh
// database for each measurement. pgtest speaks testing.TB; pgTB is the
// little of it that pgtest uses.

type pgTB struct {
	testing.TB // not set: pgtest calls only the methods below
	mu         sync.Mutex
	cleanups   []func()
	err        error
	skip       string
}

func (p *pgTB) Helper()                   {}
func (p *pgTB) Logf(f string, a ...any)   {}
func (p *pgTB) Cleanup(f func())          { p.mu.Lock(); p.cleanups = append(p.cleanups, f); p.mu.Unlock() }
func (p *pgTB) Fatalf(f string, a ...any) { p.err = fmt.Errorf(f, a...); runtime.Goexit() }
func (p *pgTB) Skipf(f string, a ...any)  { p.skip = fmt.Sprintf(f, a...); runtime.Goexit() }

// pgDatabase returns the DSN of a fresh PostgreSQL database and what drops
// it; ok is false (with the reason) when no PostgreSQL is available.
func pgDatabase() (dsn string, drop func(), ok bool, why string, err error) {
	tb := &pgTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		dsn = pgtest.DSN(tb)
	}()
	<-done
	drop = func() {
		for i := len(tb.cleanups) - 1; i >= 0; i-- {
			tb.cleanups[i]()
		}
	}
	switch {
	case tb.err != nil:
		return "", drop, false, "", tb.err
	case tb.skip != "":
		return "", drop, false, tb.skip, nil
	}
	return dsn, drop, true, "", nil
}

// stopPostgres stops the PostgreSQL pgtest started, if any.
func stopPostgres() { pgtest.Stop() }
