package local

import (
	"context"
	"io"
	"testing"

	"github.com/sluicehq/sluice/executor"
)

// BenchmarkMeasuringCost runs /bin/true as a step in each mode: the
// difference to Plain (a process group and wait4, as before steps were
// measured) is what containing and measuring a step costs.
//
//	go test ./executor/local -run XXX -bench MeasuringCost -benchtime 300x -count 3
func BenchmarkMeasuringCost(b *testing.B) {
	for _, m := range []Mode{Plain, Auto, Cgroup1, Cgroup2, Process} {
		b.Run(m.String(), func(b *testing.B) {
			e := &Executor{Mode: m}
			if _, err := e.Contained(); err != nil {
				b.Skipf("not on this machine: %v", err)
			}
			dir := b.TempDir()
			job := &executor.Job{Argv: []string{"/bin/true"}, Dir: dir, Log: io.Discard}
			ctx := context.Background()
			for b.Loop() {
				res, err := e.Run(ctx, job)
				if err != nil || res.ExitCode != 0 {
					b.Fatalf("%v %+v", err, res)
				}
			}
		})
	}
}
