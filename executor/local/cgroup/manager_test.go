package cgroup

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeV2 lays out a cgroup2 tree with the process in group /svc.
func fakeV2(t *testing.T, controllers, subtree, procs string) *Host {
	root := t.TempDir()
	dir := filepath.Join(root, "sys/fs/cgroup/svc")
	mustWrite(t, filepath.Join(dir, "cgroup.controllers"), controllers)
	mustWrite(t, filepath.Join(dir, "cgroup.subtree_control"), subtree)
	mustWrite(t, filepath.Join(dir, "cgroup.procs"), procs)
	return &Host{Root: root, V2: dir, V1: map[string]string{}}
}

// fakeV1 lays out v1 hierarchies with the process's groups in them.
func fakeV1(t *testing.T, h *Host, ctrls ...string) *Host {
	if h == nil {
		h = &Host{Root: t.TempDir(), V1: map[string]string{}}
	}
	for _, c := range ctrls {
		d := filepath.Join(h.Root, "sys/fs/cgroup", c, "me")
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		h.V1[c] = d
	}
	return h
}

// A pure v2 host whose cgroup holds only this process: it moves into its
// leaf, hands the controllers down and makes step groups beside it.
func TestNewV2MovesIntoLeaf(t *testing.T) {
	h := fakeV2(t, "cpuset cpu io memory pids", "", "4242\n")
	m, err := New(h, Auto, 4242)
	if err != nil {
		t.Fatal(err)
	}
	if m.Version() != V2 {
		t.Fatalf("version %v", m.Version())
	}
	if got := read(t, filepath.Join(h.V2, LeafName, "cgroup.procs")); got != "4242" {
		t.Fatalf("leaf cgroup.procs = %q", got)
	}
	if got := read(t, filepath.Join(h.V2, "cgroup.subtree_control")); got != "+memory +cpu +io +pids" {
		t.Fatalf("subtree_control = %q", got)
	}
	mustWrite(t, filepath.Join(h.V2, "cgroup.subtree_control"), "cpu io memory pids\n") // as the kernel reads it back
	g, err := m.NewGroup(Limits{MemoryBytes: 100 << 20, CPU: 1.5})
	if err != nil {
		t.Fatal(err)
	}
	d := g.dirs[""]
	if filepath.Dir(d) != h.V2 || !strings.HasPrefix(filepath.Base(d), "sluice-") {
		t.Fatalf("group dir %s", d)
	}
	for f, want := range map[string]string{"memory.max": "104857600", "memory.swap.max": "0", "memory.oom.group": "1", "cpu.max": "150000 100000"} {
		if got := read(t, filepath.Join(d, f)); got != want {
			t.Errorf("%s = %q, want %q", f, got, want)
		}
	}
	if !g.CPULimited() {
		t.Error("CPU limit not reported as applied")
	}
	// The kernel's counters, as v2 writes them.
	mustWrite(t, filepath.Join(d, "cpu.stat"), "usage_usec 1520000\nuser_usec 1500000\nsystem_usec 20000\nnr_periods 0\n")
	mustWrite(t, filepath.Join(d, "memory.current"), "1048576\n")
	mustWrite(t, filepath.Join(d, "memory.peak"), "214958080\n")
	mustWrite(t, filepath.Join(d, "memory.events"), "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 1\n")
	mustWrite(t, filepath.Join(d, "io.stat"), "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2\n8:16 rbytes=1 wbytes=2\n")
	s, err := g.Stats()
	if err != nil {
		t.Fatal(err)
	}
	want := Stats{CPU: 1520 * time.Millisecond, User: 1500 * time.Millisecond, System: 20 * time.Millisecond,
		Memory: 1 << 20, Peak: 214958080, OOMKills: 1, ReadBytes: 4097, WriteBytes: 8194, HasIO: true, MemoryLimit: 100 << 20}
	if s != want {
		t.Fatalf("stats\n got %+v\nwant %+v", s, want)
	}
	g.Remove() // (a fake group holds plain files: rmdir fails, as it should)
	// A second manager in the same process finds the leaf it is in.
	h2 := &Host{Root: h.Root, V2: filepath.Join(h.V2, LeafName), V1: map[string]string{}}
	m2, err := New(h2, Auto, 4242)
	if err != nil {
		t.Fatal(err)
	}
	if m2.parent2 != h.V2 {
		t.Fatalf("second manager's parent %q, want %q", m2.parent2, h.V2)
	}
}

// A v2 group shared with other processes (a login session) cannot hand
// its controllers down: v1 is used if there is one, and the error says
// what to do when there is none.
func TestNewV2SharedGroupFallsBack(t *testing.T) {
	h := fakeV2(t, "cpu memory pids", "", "4242\n99\n")
	if _, err := New(h, V2, 4242); err == nil || !strings.Contains(err.Error(), "systemd-run") {
		t.Fatalf("err = %v, want advice naming systemd-run", err)
	}
	if _, err := os.Stat(filepath.Join(h.V2, LeafName)); err == nil {
		t.Fatal("moved although other processes share the group")
	}
	fakeV1(t, h, "memory", "cpuacct", "cpu", "freezer")
	m, err := New(h, Auto, 4242)
	if err != nil || m.Version() != V1 {
		t.Fatalf("auto: %v, %v", m, err)
	}
}

// The machines CI runs on: controllers only on v1, an empty cgroup2
// mount beside them.
func TestNewHybridPicksV1(t *testing.T) {
	h := fakeV2(t, "", "", "")
	fakeV1(t, h, "memory", "cpuacct", "cpu", "freezer")
	m, err := New(h, Auto, 1)
	if err != nil {
		t.Fatal(err)
	}
	if m.Version() != V1 {
		t.Fatalf("version %v", m.Version())
	}
	g, err := m.NewGroup(Limits{MemoryBytes: 512 << 20, CPU: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(g.dirs["memory"], "memory.limit_in_bytes")); got != "536870912" {
		t.Errorf("memory.limit_in_bytes = %q", got)
	}
	if got := read(t, filepath.Join(g.dirs["cpu"], "cpu.cfs_quota_us")); got != "50000" {
		t.Errorf("cpu.cfs_quota_us = %q", got)
	}
	if got := read(t, filepath.Join(g.dirs["cpu"], "cpu.cfs_period_us")); got != "100000" {
		t.Errorf("cpu.cfs_period_us = %q", got)
	}
	d := g.dirs["memory"]
	mustWrite(t, filepath.Join(d, "memory.usage_in_bytes"), "4096\n")
	mustWrite(t, filepath.Join(d, "memory.max_usage_in_bytes"), "536870912\n")
	mustWrite(t, filepath.Join(d, "memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n")
	mustWrite(t, filepath.Join(g.dirs["cpuacct"], "cpuacct.usage"), "2500000000\n")
	mustWrite(t, filepath.Join(g.dirs["cpuacct"], "cpuacct.usage_user"), "2000000000\n")
	mustWrite(t, filepath.Join(g.dirs["cpuacct"], "cpuacct.usage_sys"), "500000000\n")
	s, err := g.Stats()
	if err != nil {
		t.Fatal(err)
	}
	want := Stats{CPU: 2500 * time.Millisecond, User: 2 * time.Second, System: 500 * time.Millisecond,
		Memory: 4096, Peak: 512 << 20, OOMKills: 2, MemoryLimit: 512 << 20}
	if s != want {
		t.Fatalf("stats\n got %+v\nwant %+v", s, want)
	}
	// Without a CPU limit no cpu group is made.
	g2, err := m.NewGroup(Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := g2.dirs["cpu"]; ok {
		t.Error("a cpu group without a CPU limit")
	}
	g.Remove()
	g2.Remove()
}

func TestNewNothingUsable(t *testing.T) {
	h := fakeV2(t, "cpu pids", "", "1\n")
	fakeV1(t, h, "cpu") // no memory hierarchy
	_, err := New(h, Auto, 1)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"cgroup v2: the memory controller is not available", "cgroup v1: no memory hierarchy"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestSelfReadsOwnCgroup(t *testing.T) {
	h := fakeV2(t, "memory cpu", "", "1\n")
	mustWrite(t, filepath.Join(h.V2, "cpu.stat"), "usage_usec 10\n")
	mustWrite(t, filepath.Join(h.V2, "memory.current"), "100\n")
	mustWrite(t, filepath.Join(h.V2, "memory.max"), "max\n")
	g, err := Self(h)
	if err != nil || g.Version() != V2 {
		t.Fatalf("%v %v", g, err)
	}
	s, _ := g.Stats()
	if s.CPU != 10*time.Microsecond || s.Memory != 100 || s.MemoryLimit != 0 {
		t.Fatalf("%+v", s)
	}
	if _, err := g.Kill(); err == nil {
		t.Fatal("Kill of its own cgroup allowed")
	}
	v1 := fakeV1(t, nil, "memory", "cpuacct")
	if g, err := Self(v1); err != nil || g.Version() != V1 {
		t.Fatalf("v1 self: %v %v", g, err)
	}
	if _, err := Self(&Host{V1: map[string]string{}}); err == nil {
		t.Fatal("nothing to read: no error")
	}
}

// A manager starting up removes the empty step groups a killed Sluice
// process left, older than StaleAfter; recent ones and ones with content
// stay.
func TestStaleGroupsAreSwept(t *testing.T) {
	h := fakeV1(t, nil, "memory", "cpuacct")
	mem := h.V1["memory"]
	old := time.Now().Add(-2 * StaleAfter)
	for _, name := range []string{"sluice-dead-1", "sluice-new-1", "sluice-busy-1", "other"} {
		d := filepath.Join(mem, name)
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if name == "sluice-busy-1" {
			mustWrite(t, filepath.Join(d, "cgroup.procs"), "42")
		}
		if name != "sluice-new-1" {
			os.Chtimes(d, old, old)
		}
	}
	if _, err := New(h, V1, 1); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"sluice-dead-1": false, "sluice-new-1": true, "sluice-busy-1": true, "other": true} {
		if _, err := os.Stat(filepath.Join(mem, name)); (err == nil) != want {
			t.Errorf("%s: present %v, want %v", name, err == nil, want)
		}
	}
}
