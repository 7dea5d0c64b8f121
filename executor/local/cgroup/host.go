package cgroup

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Host is the cgroup layout as one process sees it.
type Host struct {
	// Root prefixes every path read or written ("" or "/" for the real
	// machine; a temp dir in tests).
	Root string
	// V2 is the directory of the process's cgroup in the cgroup2
	// hierarchy, "" when none is mounted.
	V2 string
	// V1 maps each mounted v1 controller ("memory", "cpu", "cpuacct",
	// "freezer", "pids", ...) to the directory of the process's cgroup in
	// its hierarchy.
	V1 map[string]string
}

// ReadHost reads the layout of the calling process under root ("/" for the
// real machine): the cgroup mounts in root/proc/self/mountinfo and the
// process's cgroups in root/proc/self/cgroup.
func ReadHost(root string) (*Host, error) {
	mi, err := os.ReadFile(filepath.Join(root, "proc/self/mountinfo"))
	if err != nil {
		return nil, fmt.Errorf("cgroup: %w", err)
	}
	cg, err := os.ReadFile(filepath.Join(root, "proc/self/cgroup"))
	if err != nil {
		return nil, fmt.Errorf("cgroup: %w", err)
	}
	return ParseHost(root, mi, cg), nil
}

type mount struct {
	root, point string // the cgroup path mounted, and where
	v2          bool
	controllers []string
}

// ParseHost reads a mountinfo and a /proc/PID/cgroup file. Directories are
// under root. A hierarchy whose mount does not contain the process's
// cgroup (a bind mount of another subtree) is left out.
func ParseHost(root string, mountinfo, cgroup []byte) *Host {
	var mounts []mount
	sc := bufio.NewScanner(bytes.NewReader(mountinfo))
	for sc.Scan() {
		// 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
		f := strings.Fields(sc.Text())
		sep := slices.Index(f, "-")
		if sep < 6 || len(f) < sep+4 {
			continue
		}
		fstype, super := f[sep+1], f[sep+3]
		m := mount{root: unescape(f[3]), point: unescape(f[4])}
		switch fstype {
		case "cgroup2":
			m.v2 = true
		case "cgroup":
			for _, o := range strings.Split(super, ",") {
				switch {
				case o == "rw" || o == "ro" || strings.HasPrefix(o, "name=") || strings.Contains(o, "="):
				case o == "" || o == "noprefix" || o == "clone_children" || o == "xattr" || o == "cpuset_v2_mode":
				default:
					m.controllers = append(m.controllers, o)
				}
			}
			if len(m.controllers) == 0 {
				continue // a named hierarchy (name=systemd): no controllers
			}
		default:
			continue
		}
		mounts = append(mounts, m)
	}
	h := &Host{Root: root, V1: map[string]string{}}
	sc = bufio.NewScanner(bytes.NewReader(cgroup))
	for sc.Scan() {
		// hierarchy-id:controller-list:cgroup-path
		id, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		ctrls, path, ok := strings.Cut(rest, ":")
		if !ok {
			continue
		}
		if id == "0" && ctrls == "" {
			for _, m := range mounts {
				if m.v2 {
					if d, ok := dirOf(root, m, path); ok {
						h.V2 = d
						break
					}
				}
			}
			continue
		}
		want := strings.Split(ctrls, ",")
		for _, m := range mounts {
			if m.v2 || !sameSet(m.controllers, want) {
				continue
			}
			if d, ok := dirOf(root, m, path); ok {
				for _, c := range m.controllers {
					if _, seen := h.V1[c]; !seen {
						h.V1[c] = d
					}
				}
				break
			}
		}
	}
	return h
}

// dirOf is the directory of cgroup path in mount m, if m holds it.
func dirOf(root string, m mount, path string) (string, bool) {
	rel := path
	if m.root != "/" {
		r, ok := strings.CutPrefix(path, m.root)
		if !ok || (r != "" && !strings.HasPrefix(r, "/")) {
			return "", false
		}
		rel = r
	}
	if strings.Contains(rel, "/../") || strings.HasSuffix(rel, "/..") || strings.Contains(rel, "(deleted)") {
		return "", false
	}
	return filepath.Join(root, m.point, rel), true
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// unescape undoes mountinfo's octal escapes (\040 for a space).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var v byte
			ok := true
			for _, c := range s[i+1 : i+4] {
				if c < '0' || c > '7' {
					ok = false
					break
				}
				v = v*8 + byte(c-'0')
			}
			if ok {
				b.WriteByte(v)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
