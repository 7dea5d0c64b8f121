package cgroup

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// This machine's kind of host: v1 controllers, an empty cgroup2 mount
// (systemd's hybrid layout), the process in a memory cgroup of its own.
const hybridMountinfo = `22 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`

const hybridCgroup = `9:name=systemd:/
6:freezer:/
4:memory:/process_api/83bb
2:cpuacct:/
1:cpu:/
0::/
`

func TestParseHostHybrid(t *testing.T) {
	h := ParseHost("/R", []byte(hybridMountinfo), []byte(hybridCgroup))
	want := map[string]string{
		"memory": "/R/sys/fs/cgroup/memory/process_api/83bb", "cpu": "/R/sys/fs/cgroup/cpu",
		"cpuacct": "/R/sys/fs/cgroup/cpuacct", "freezer": "/R/sys/fs/cgroup/freezer",
	}
	for c, d := range want {
		if h.V1[c] != d {
			t.Errorf("v1 %s = %q, want %q", c, h.V1[c], d)
		}
	}
	if _, ok := h.V1["name=systemd"]; ok || len(h.V1) != len(want) {
		t.Errorf("v1 = %v", h.V1)
	}
	if h.V2 != "/R/sys/fs/cgroup/unified" {
		t.Errorf("v2 = %q", h.V2)
	}
}

func TestParseHostPureV2AndComounted(t *testing.T) {
	h := ParseHost("", []byte("30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n"),
		[]byte("0::/user.slice/user-1000.slice/session-2.scope\n"))
	if h.V2 != "/sys/fs/cgroup/user.slice/user-1000.slice/session-2.scope" || len(h.V1) != 0 {
		t.Errorf("pure v2: %+v", h)
	}
	h = ParseHost("", []byte("32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"),
		[]byte("3:cpuacct,cpu:/a b\n"))
	if h.V1["cpu"] != "/sys/fs/cgroup/cpu,cpuacct/a b" || h.V1["cpuacct"] != h.V1["cpu"] {
		t.Errorf("co-mounted: %+v", h.V1)
	}
}

// A container's cgroupfs is often a bind mount of its own subtree: the
// mount's root is the cgroup path, and the process's cgroup lies in it.
func TestParseHostBindMountedSubtree(t *testing.T) {
	mi := `1 0 0:26 /kubepods/pod1/c1 /sys/fs/cgroup ro,nosuid - cgroup2 cgroup2 rw
2 0 0:29 /other /mnt/x rw - cgroup cgroup rw,memory
`
	h := ParseHost("", []byte(mi), []byte("0::/kubepods/pod1/c1\n4:memory:/kubepods/pod1/c1\n"))
	if h.V2 != "/sys/fs/cgroup" {
		t.Errorf("v2 = %q", h.V2)
	}
	if _, ok := h.V1["memory"]; ok {
		t.Errorf("a mount of another subtree was used: %v", h.V1)
	}
	// Escapes in mount points, a path leaving the mount: both handled.
	h = ParseHost("", []byte(`1 0 0:26 / /sys/fs/my\040cgroup rw - cgroup2 cgroup2 rw`+"\n"), []byte("0::/../../etc\n"))
	if h.V2 != "" {
		t.Errorf("a path with .. was used: %q", h.V2)
	}
	h = ParseHost("", []byte(`1 0 0:26 / /sys/fs/my\040cgroup rw - cgroup2 cgroup2 rw`+"\n"), []byte("0::/a\n"))
	if h.V2 != "/sys/fs/my cgroup/a" {
		t.Errorf("escaped mount point: %q", h.V2)
	}
}

func TestReadHostFromFiles(t *testing.T) {
	root := t.TempDir()
	mustWrite(t, filepath.Join(root, "proc/self/mountinfo"), hybridMountinfo)
	mustWrite(t, filepath.Join(root, "proc/self/cgroup"), hybridCgroup)
	h, err := ReadHost(root)
	if err != nil {
		t.Fatal(err)
	}
	if h.V1["memory"] != filepath.Join(root, "sys/fs/cgroup/memory/process_api/83bb") {
		t.Fatalf("%+v", h)
	}
	if _, err := ReadHost(t.TempDir()); err == nil {
		t.Fatal("no /proc files: no error")
	}
}

func mustWrite(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}
