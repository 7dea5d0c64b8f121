package faults

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/pgtest"
)

func errorsAs(err error, target any) bool { return errors.As(err, target) }

// TestFaultKillServer kills a real server with SIGKILL at seeded random
// points while many runs execute, and starts it again each time; a second
// server on the same store is refused meanwhile.
func TestFaultKillServer(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			rng := seeded(t)
			data, marker := t.TempDir(), filepath.Join(t.TempDir(), "marker")
			dsn := filepath.Join(data, "sluice.db")
			var args []string
			if db == "postgres" {
				dsn = pgtest.DSN(t)
				args = []string{"--db", dsn}
			}
			args = append(args, "--data", data)
			srv := start(t, freeAddr(t), args...)
			const runs, steps = 6, 6
			tags := map[string]string{}
			var ids []string
			for i := 0; i < runs; i++ {
				tag := fmt.Sprintf("r%d", i)
				id := srv.submit(loop(steps, marker), map[string]any{"tag": tag})
				tags[id] = tag
				ids = append(ids, id)
			}
			secondServerRefused(t, args...)
			type snap struct {
				ended   map[string]storeTask
				markers map[string]int
			}
			var snaps []snap
			for k := 0; k < 3; k++ {
				time.Sleep(time.Duration(200+rng.IntN(1200)) * time.Millisecond)
				srv.kill()
				s := snap{ended: map[string]storeTask{}, markers: markers(t, marker)}
				for key, rec := range records(t, dsn, ids) {
					if rec.State.Terminal() {
						s.ended[key] = rec
					}
				}
				snaps = append(snaps, s)
				srv.restart()
			}
			states := srv.waitAll(ids, 3*time.Minute)
			srv.kill()
			final := records(t, dsn, ids)
			done := markers(t, marker)
			for _, id := range ids {
				if states[id] != "SUCCEEDED" {
					t.Errorf("run %s (%s) ended %s", id, tags[id], states[id])
				}
				for x := 1; x <= steps; x++ {
					if done[fmt.Sprintf("%s %d", tags[id], x)] < 1 {
						t.Errorf("run %s: step %d never ran", tags[id], x)
					}
				}
			}
			if want := runs * (1 + 2*steps); len(final) != want {
				t.Errorf("%d task records, want %d", len(final), want)
			}
			for i, s := range snaps {
				for key, was := range s.ended {
					if now := final[key]; !reflect.DeepEqual(now, was) {
						t.Errorf("after kill %d: task %s rewritten:\nbefore %+v\nafter  %+v", i+1, key, was, now)
					}
					run, task, _ := strings.Cut(key, "/")
					var idx int
					if _, err := fmt.Sscanf(task, "for-loop-1/%d/step", &idx); err != nil {
						continue
					}
					line := fmt.Sprintf("%s %d", tags[run], idx+1)
					if done[line] != s.markers[line] {
						t.Errorf("after kill %d: step %q had ended but ran again (%d times before, %d after)", i+1, line, s.markers[line], done[line])
					}
				}
			}
		})
	}
}

// TestFaultPostgresRestart stops PostgreSQL in the middle of runs and
// starts it again: healthz reports the failing store meanwhile and
// recovers, every run ends, records that had ended are unchanged.
func TestFaultPostgresRestart(t *testing.T) {
	rng := seeded(t)
	pg := pgtest.Own(t)
	data, marker := t.TempDir(), filepath.Join(t.TempDir(), "marker")
	srv := start(t, freeAddr(t), "--db", pg.DSN, "--data", data)
	var ids []string
	for i := 0; i < 4; i++ {
		ids = append(ids, srv.submit(loop(8, marker), map[string]any{"tag": fmt.Sprintf("r%d", i)}))
	}
	time.Sleep(time.Duration(300+rng.IntN(700)) * time.Millisecond)
	ended := map[string]storeTask{}
	for key, rec := range records(t, pg.DSN, ids) {
		if rec.State.Terminal() {
			ended[key] = rec
		}
	}
	pg.Stop()
	sawFailing := false
	for i := 0; i < 200 && !sawFailing; i++ {
		code, body := srv.get("/apis/v2beta1/healthz")
		sawFailing = code == 503 && strings.Contains(string(body), "store_error")
		time.Sleep(50 * time.Millisecond)
	}
	if !sawFailing {
		t.Error("healthz never reported the store down")
	}
	pg.Start()
	recovered := false
	for i := 0; i < 600 && !recovered; i++ {
		code, _ := srv.get("/apis/v2beta1/healthz")
		recovered = code == 200
		time.Sleep(50 * time.Millisecond)
	}
	if !recovered {
		t.Fatal("healthz did not recover once PostgreSQL was back")
	}
	// The server takes its lock again on a new session: a second server
	// is still refused.
	db, err := sql.Open("pgx", pg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i := 0; ; i++ {
		var n int
		_ = db.QueryRow(`SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND granted`).Scan(&n)
		if n > 0 {
			break
		}
		if i == 200 {
			t.Fatal("the server did not take its lock again after PostgreSQL restarted")
		}
		time.Sleep(50 * time.Millisecond)
	}
	secondServerRefused(t, "--db", pg.DSN, "--data", t.TempDir())
	states := srv.waitAll(ids, 3*time.Minute)
	if len(states) != len(ids) {
		t.Fatalf("runs lost: %v", states)
	}
	final := records(t, pg.DSN, ids)
	for key, was := range ended {
		if now := final[key]; !reflect.DeepEqual(now, was) {
			t.Errorf("task %s rewritten:\nbefore %+v\nafter  %+v", key, was, now)
		}
	}
	// The server works on: a new run succeeds.
	id := srv.submit(loop(2, marker), map[string]any{"tag": "after"})
	if st := srv.waitAll([]string{id}, time.Minute)[id]; st != "SUCCEEDED" {
		t.Fatalf("a run after the restart: %s", st)
	}
}

// bigStep is a pipeline whose one step marks that it ran, then fills the
// disk writing its output artifact.
func bigStep(marker string) map[string]any {
	return map[string]any{
		"pipelineInfo":  map[string]any{"name": "big"},
		"schemaVersion": "2.1.0",
		"root":          map[string]any{"dag": map[string]any{"tasks": map[string]any{"fill": map[string]any{"taskInfo": map[string]any{"name": "fill"}, "componentRef": map[string]any{"name": "comp-fill"}}}}},
		"components": map[string]any{"comp-fill": map[string]any{"executorLabel": "exec-fill", "outputDefinitions": map[string]any{
			"artifacts": map[string]any{"out": map[string]any{"artifactType": map[string]any{"schemaTitle": "system.Dataset", "schemaVersion": "0.0.1"}}}}}},
		"deploymentSpec": map[string]any{"executors": map[string]any{"exec-fill": map[string]any{"container": map[string]any{"image": "alpine",
			"command": []any{"sh", "-c", `echo fill >> "$1"; mkdir -p "$(dirname "$0")"; dd if=/dev/zero of="$0" bs=1M count=64 2>&1`, "{{$.outputs.artifacts['out'].path}}", marker}}}}},
	}
}

// TestFaultDiskFull runs a server whose data directory (database and
// artifacts) is a small tmpfs that a step fills: the step fails, the
// state writes that follow are retried until space is freed, the run
// ends, its step ran once, and the server works on.
func TestFaultDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	data, marker := t.TempDir(), filepath.Join(t.TempDir(), "marker")
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", data).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { _ = syscall.Unmount(data, syscall.MNT_DETACH) })
	srv := start(t, freeAddr(t), "--data", data)
	id := srv.submit(bigStep(marker), nil)
	// Wait until the disk is full (the step has written what it could).
	for i := 0; ; i++ {
		var fs syscall.Statfs_t
		if err := syscall.Statfs(data, &fs); err != nil {
			t.Fatal(err)
		}
		if fs.Bavail == 0 {
			break
		}
		if i == 600 {
			t.Fatal("the disk never filled")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The writes that follow fail: the run's end is retried, healthz says
	// so.
	sawFailing := false
	for i := 0; i < 100 && !sawFailing; i++ {
		code, body := srv.get("/apis/v2beta1/healthz")
		sawFailing = code == 503 && strings.Contains(string(body), "store_error")
		time.Sleep(50 * time.Millisecond)
	}
	if !sawFailing {
		t.Errorf("healthz never reported the full disk; run %s", srv.state(id))
	}
	// The operator frees space: the step's output goes.
	_ = filepath.Walk(data, func(p string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() && info.Size() > 1<<20 && !strings.HasPrefix(info.Name(), "sluice.db") {
			os.Remove(p)
		}
		return nil
	})
	st := srv.waitAll([]string{id}, 2*time.Minute)[id]
	if st != "FAILED" {
		t.Errorf("the run that filled the disk ended %s, want FAILED", st)
	}
	if n := markers(t, marker)["fill"]; n != 1 {
		t.Errorf("the step ran %d times, want once", n)
	}
	if code, body := srv.get("/apis/v2beta1/healthz"); code != 200 {
		t.Errorf("healthz after space was freed: %d %s", code, body)
	}
	id = srv.submit(loop(2, marker), map[string]any{"tag": "after"})
	if st := srv.waitAll([]string{id}, time.Minute)[id]; st != "SUCCEEDED" {
		t.Fatalf("a run after the disk was freed: %s", st)
	}
}
