package cgroup

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Version is a cgroup version to use.
type Version int

// Versions.
const (
	// Auto is v2 when this process can make child groups with the
	// memory controller there, else v1.
	Auto Version = 0
	V1   Version = 1
	V2   Version = 2
)

func (v Version) String() string {
	switch v {
	case V1:
		return "cgroup1"
	case V2:
		return "cgroup2"
	}
	return "auto"
}

// LeafName is the group a v2 Sluice process moves itself into when its own
// cgroup must hand its controllers down to the steps' groups (cgroup v2
// lets only groups without processes of their own do that).
const LeafName = "sluice"

// Manager makes the groups of steps, as children of this process's
// cgroup.
type Manager struct {
	version Version
	parent2 string            // v2: the parent of the step groups
	ctrl2   []string          // v2: the controllers enabled for them
	parent1 map[string]string // v1: controller -> parent directory
	prefix  string            // this manager's group names start with it
	seq     atomic.Int64
	// noClone3 is set once starting a process straight into its group
	// (clone3 with CLONE_INTO_CGROUP, Linux 5.7) failed: the process is
	// then moved in just after it starts.
	noClone3 atomic.Bool
}

// New prepares step groups under the cgroups h describes, of version want
// (Auto: v2, else v1). pid is this process (it may move itself into a v2
// leaf). The error says why no version can be used.
func New(h *Host, want Version, pid int) (*Manager, error) {
	prefix, err := randomPrefix()
	if err != nil {
		return nil, err
	}
	var errs []error
	if want == Auto || want == V2 {
		m := &Manager{version: V2, prefix: prefix}
		if err := m.setupV2(h, pid); err == nil {
			return m, nil
		} else {
			errs = append(errs, err)
		}
	}
	if want == Auto || want == V1 {
		m := &Manager{version: V1, prefix: prefix}
		if err := m.setupV1(h); err == nil {
			return m, nil
		} else {
			errs = append(errs, err)
		}
	}
	return nil, errors.Join(errs...)
}

// Version is the cgroup version the manager uses.
func (m *Manager) Version() Version { return m.version }

func randomPrefix() (string, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return "sluice-" + hex.EncodeToString(b[:]) + "-", nil
}

// wantV2 are the v2 controllers the step groups get, when available.
var wantV2 = []string{"memory", "cpu", "io", "pids"}

func (m *Manager) setupV2(h *Host, pid int) error {
	dir := h.V2
	if dir == "" {
		return errors.New("cgroup v2: no cgroup2 hierarchy is mounted")
	}
	avail := words(dir, "cgroup.controllers")
	// A Sluice process that moved itself into its leaf before (another
	// executor of the same process) uses the parent it prepared then.
	if filepath.Base(dir) == LeafName {
		parent := filepath.Dir(dir)
		if en := words(parent, "cgroup.subtree_control"); slices.Contains(en, "memory") {
			return m.useV2(parent, en)
		}
	}
	if !slices.Contains(avail, "memory") {
		return fmt.Errorf("cgroup v2: the memory controller is not available in %s (its cgroup.controllers: %q); it must be delegated to Sluice's cgroup", dir, strings.Join(avail, " "))
	}
	var want []string
	for _, c := range wantV2 {
		if slices.Contains(avail, c) {
			want = append(want, c)
		}
	}
	enabled := words(dir, "cgroup.subtree_control")
	missing := slices.DeleteFunc(slices.Clone(want), func(c string) bool { return slices.Contains(enabled, c) })
	if len(missing) == 0 {
		return m.useV2(dir, enabled)
	}
	// The controllers must be enabled for dir's children, which cgroup v2
	// allows only when dir holds no process: move this one into a leaf,
	// provided it is alone there.
	for _, p := range ints(dir, "cgroup.procs") {
		if p != pid {
			return fmt.Errorf("cgroup v2: %s holds other processes than this one (%d): start Sluice in a cgroup of its own (for example `systemd-run --user --scope -p Delegate=yes sluice server`)", dir, p)
		}
	}
	leaf := filepath.Join(dir, LeafName)
	if err := os.Mkdir(leaf, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("cgroup v2: %w", err)
	}
	if err := writeFile(leaf, "cgroup.procs", strconv.Itoa(pid)); err != nil {
		os.Remove(leaf)
		return fmt.Errorf("cgroup v2: move into %s: %w", leaf, err)
	}
	var b strings.Builder
	for _, c := range missing {
		b.WriteString(" +" + c)
	}
	if err := writeFile(dir, "cgroup.subtree_control", strings.TrimSpace(b.String())); err != nil {
		_ = writeFile(dir, "cgroup.procs", strconv.Itoa(pid))
		os.Remove(leaf)
		return fmt.Errorf("cgroup v2: enable %s in %s: %w", strings.Join(missing, ", "), dir, err)
	}
	return m.useV2(dir, append(enabled, missing...))
}

func (m *Manager) useV2(parent string, enabled []string) error {
	probe := filepath.Join(parent, m.prefix+"probe")
	if err := os.Mkdir(probe, 0o755); err != nil {
		return fmt.Errorf("cgroup v2: cannot make groups in %s: %w", parent, err)
	}
	os.Remove(probe)
	m.parent2, m.ctrl2 = parent, enabled
	sweep(parent)
	return nil
}

// StaleAfter is how old an empty step group must be before a manager
// starting up removes it (the groups of a Sluice process that was killed
// before it could remove them; a live one's groups are populated as soon
// as they are made, and a group with processes cannot be removed).
const StaleAfter = time.Minute

// sweep removes the empty step groups under parent that are older than
// StaleAfter.
func sweep(parent string) {
	ents, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range ents {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), "sluice-") {
			continue
		}
		if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > StaleAfter {
			_ = os.Remove(filepath.Join(parent, e.Name())) // fails (EBUSY) while it has processes
		}
	}
}

// v1 controllers the step groups use: memory and cpuacct always, cpu for
// a CPU limit, freezer to stop a group before killing it.
var needV1, optV1 = []string{"memory", "cpuacct"}, []string{"cpu", "freezer"}

func (m *Manager) setupV1(h *Host) error {
	m.parent1 = map[string]string{}
	for _, c := range needV1 {
		d := h.V1[c]
		if d == "" {
			return fmt.Errorf("cgroup v1: no %s hierarchy is mounted", c)
		}
		m.parent1[c] = d
	}
	for _, c := range optV1 {
		if d := h.V1[c]; d != "" {
			m.parent1[c] = d
		}
	}
	for _, c := range needV1 {
		probe := filepath.Join(m.parent1[c], m.prefix+"probe")
		if err := os.Mkdir(probe, 0o755); err != nil {
			return fmt.Errorf("cgroup v1: cannot make groups in %s: %w", m.parent1[c], err)
		}
		os.Remove(probe)
	}
	for _, d := range m.parent1 {
		sweep(d)
	}
	return nil
}

// Limits are what a step group enforces; zero means none.
type Limits struct {
	MemoryBytes int64
	// CPU is in cores (1.5 = one and a half CPUs' time per period).
	CPU float64
}

// NewGroup makes the group of one step, with its limits.
func (m *Manager) NewGroup(lim Limits) (*Group, error) {
	name := m.prefix + strconv.FormatInt(m.seq.Add(1), 10)
	g := &Group{m: m, version: m.version, dirs: map[string]string{}}
	mk := func(ctrl, parent string) error {
		d := filepath.Join(parent, name)
		for _, have := range g.dirs { // co-mounted controllers share a directory
			if have == d {
				g.dirs[ctrl] = d
				return nil
			}
		}
		if err := os.Mkdir(d, 0o755); err != nil {
			return err
		}
		g.dirs[ctrl] = d
		g.made = append(g.made, d)
		return nil
	}
	var err error
	if m.version == V2 {
		err = mk("", m.parent2)
	} else {
		for _, c := range []string{"memory", "cpuacct", "cpu", "freezer"} {
			p := m.parent1[c]
			if p == "" || (c == "cpu" && lim.CPU <= 0) {
				continue
			}
			if err = mk(c, p); err != nil {
				break
			}
		}
	}
	if err == nil {
		err = g.limit(lim)
	}
	if err != nil {
		g.Remove()
		return nil, fmt.Errorf("%s: make a step group: %w", m.version, err)
	}
	return g, nil
}

func (g *Group) limit(lim Limits) error {
	g.limits = lim
	if lim.MemoryBytes > 0 {
		v := strconv.FormatInt(lim.MemoryBytes, 10)
		if g.version == V2 {
			if err := writeFile(g.dirs[""], "memory.max", v); err != nil {
				return err
			}
			// No swapping around the limit, and the whole group goes
			// when one of its processes is killed for memory.
			_ = writeFile(g.dirs[""], "memory.swap.max", "0")
			_ = writeFile(g.dirs[""], "memory.oom.group", "1")
		} else {
			if err := writeFile(g.dirs["memory"], "memory.limit_in_bytes", v); err != nil {
				return err
			}
			_ = writeFile(g.dirs["memory"], "memory.memsw.limit_in_bytes", v)
		}
	}
	if lim.CPU > 0 {
		const period = 100000
		quota := max(int64(lim.CPU*period), 1000)
		if g.version == V2 {
			if slices.Contains(g.m.ctrl2, "cpu") {
				if err := writeFile(g.dirs[""], "cpu.max", fmt.Sprintf("%d %d", quota, period)); err != nil {
					return err
				}
				g.cpuLimited = true
			}
		} else if d := g.dirs["cpu"]; d != "" {
			if err := writeFile(d, "cpu.cfs_period_us", strconv.Itoa(period)); err != nil {
				return err
			}
			if err := writeFile(d, "cpu.cfs_quota_us", strconv.FormatInt(quota, 10)); err != nil {
				return err
			}
			g.cpuLimited = true
		}
	}
	return nil
}
