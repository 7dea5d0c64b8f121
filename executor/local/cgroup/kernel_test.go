package cgroup

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The tests below use the machine's real cgroups: they need root, and
// skip where the hierarchy they test is not there.

func realHost(t *testing.T) *Host {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to make cgroups")
	}
	h, err := ReadHost("/")
	if err != nil {
		t.Skipf("no cgroups: %v", err)
	}
	return h
}

// startTree starts, inside g, a shell that leaves a setsid grandchild
// behind and prints its pid, then sleeps; it returns both pids.
func startTree(t *testing.T, g *Group) (cmd *exec.Cmd, child int) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd, err = g.Start(func() *exec.Cmd {
		c := exec.Command("sh", "-c", `setsid sleep 300 </dev/null >/dev/null 2>&1 & echo $!; exec sleep 300`)
		c.Stdout = w
		return c
	})
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	child, _ = strconv.Atoi(strings.TrimSpace(line))
	return cmd, child
}

func gone(pid int) bool {
	for i := 0; i < 200; i++ {
		b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
		if err != nil || strings.Contains(string(b), ") Z ") {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

// checkTree starts a tree in g, checks both processes are members, kills
// the group and checks both are gone and the group can be removed.
func checkTree(t *testing.T, g *Group) {
	cmd, child := startTree(t, g)
	defer cmd.Process.Kill()
	procs := g.Procs()
	if !slices.Contains(procs, cmd.Process.Pid) || !slices.Contains(procs, child) {
		t.Fatalf("group members %v, want %d and its setsid child %d", procs, cmd.Process.Pid, child)
	}
	killed, err := g.Kill()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(killed, child) {
		t.Errorf("killed %v, not the setsid child %d", killed, child)
	}
	cmd.Wait()
	if !gone(child) {
		t.Fatalf("setsid child %d outlived the kill", child)
	}
	syscall.Wait4(child, nil, syscall.WNOHANG, nil)
	dirs := slices.Clone(g.made)
	if err := g.TryRemove(); err != nil { // a moment after the kill, the kernel may still hold it
		t.Logf("TryRemove: %v (Remove retries)", err)
	}
	if err := g.Remove(); err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("%s is still there: %v", d, err)
		}
	}
	// An empty group is killed without freezing it, and goes at once.
	g2, err := g.m.NewGroup(Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if killed, err := g2.Kill(); err != nil || len(killed) != 0 {
		t.Fatalf("Kill of an empty group: %v %v", killed, err)
	}
	if err := g2.TryRemove(); err != nil || len(g2.made) != 0 {
		t.Fatalf("TryRemove of an empty group: %v, left %v", err, g2.made)
	}
}

func TestKernelV1(t *testing.T) {
	h := realHost(t)
	m, err := New(h, V1, os.Getpid())
	if err != nil {
		t.Skipf("no usable cgroup v1 here: %v", err)
	}
	g, err := m.NewGroup(Limits{MemoryBytes: 256 << 20, CPU: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Remove()
	s, err := g.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if s.MemoryLimit != 256<<20 || !g.CPULimited() {
		t.Fatalf("limits not applied: %+v", s)
	}
	// The thread that forked the step went back to where it was: this
	// process is in none of the step's groups.
	checkTree(t, g)
	self, _ := os.ReadFile("/proc/self/cgroup")
	if strings.Contains(string(self), m.prefix) {
		t.Fatalf("this process is still in a step group:\n%s", self)
	}
}

// The cgroup2 hierarchy of a hybrid host has no controllers, but placing
// processes (clone3 into the group), cpu.stat and cgroup.kill work there:
// the v2 group's own machinery runs against the kernel.
func TestKernelV2Placement(t *testing.T) {
	h := realHost(t)
	if h.V2 == "" {
		t.Skip("no cgroup2 hierarchy")
	}
	m := &Manager{version: V2, parent2: h.V2, prefix: "sluice-test-" + strconv.Itoa(os.Getpid()) + "-"}
	if err := os.Mkdir(filepath.Join(h.V2, m.prefix+"probe"), 0o755); err != nil {
		t.Skipf("cannot make v2 groups in %s: %v", h.V2, err)
	}
	os.Remove(filepath.Join(h.V2, m.prefix+"probe"))
	g, err := m.NewGroup(Limits{})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Remove()
	cmd, child := startTree(t, g)
	defer cmd.Process.Kill()
	if m.noClone3.Load() {
		t.Log("clone3 into a cgroup is not available: moved after start")
	}
	cg, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(cmd.Process.Pid), "cgroup"))
	if !strings.Contains(string(cg), "0::/"+filepath.Base(g.dirs[""])) && !strings.Contains(string(cg), "/"+filepath.Base(g.dirs[""])+"\n") {
		t.Fatalf("the step is not in its group:\n%s", cg)
	}
	if _, err := g.Stats(); err != nil {
		t.Fatal(err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	// the setsid child is still there: the group's kill finds it
	if gone(child) {
		t.Fatal("setsid child ended by itself")
	}
	if _, err := g.Kill(); err != nil {
		t.Fatal(err)
	}
	if !gone(child) {
		t.Fatalf("setsid child %d outlived cgroup.kill", child)
	}
	syscall.Wait4(child, nil, syscall.WNOHANG, nil)
	dirs := slices.Clone(g.made)
	if err := g.TryRemove(); err != nil { // a moment after the kill, the kernel may still hold it
		t.Logf("TryRemove: %v (Remove retries)", err)
	}
	if err := g.Remove(); err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("%s is still there: %v", d, err)
		}
	}
	// An empty group is killed without freezing it, and goes at once.
	g2, err := g.m.NewGroup(Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if killed, err := g2.Kill(); err != nil || len(killed) != 0 {
		t.Fatalf("Kill of an empty group: %v %v", killed, err)
	}
	if err := g2.TryRemove(); err != nil || len(g2.made) != 0 {
		t.Fatalf("TryRemove of an empty group: %v, left %v", err, g2.made)
	}
}
