package cgroup

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// writeFile writes a cgroup interface file. (O_CREATE lets tests use
// plain directories; cgroupfs refuses to create files.)
func writeFile(dir, name, v string) error {
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = f.WriteString(v)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func readInt(dir, name string) (int64, error) {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return 0, err
	}
	s := strings.TrimSpace(string(b))
	if s == "max" {
		return 0, errors.New("no limit")
	}
	return strconv.ParseInt(s, 10, 64)
}

// words reads a space-separated list (cgroup.controllers).
func words(dir, name string) []string {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return nil
	}
	return strings.Fields(string(b))
}

// ints reads one number a line (cgroup.procs).
func ints(dir, name string) []int {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return nil
	}
	var out []int
	for _, f := range strings.Fields(string(b)) {
		if n, err := strconv.Atoi(f); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// keyValues reads "key value" lines (cpu.stat, memory.events).
func keyValues(dir, name string) (map[string]int64, error) {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok {
			continue
		}
		if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
			out[k] = n
		}
	}
	return out, nil
}

// readIOStat sums rbytes and wbytes over the devices of io.stat.
func readIOStat(dir string) ([2]int64, error) {
	var out [2]int64
	b, err := os.ReadFile(filepath.Join(dir, "io.stat"))
	if err != nil {
		return out, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		for _, f := range strings.Fields(line) {
			k, v, ok := strings.Cut(f, "=")
			if !ok {
				continue
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				continue
			}
			switch k {
			case "rbytes":
				out[0] += n
			case "wbytes":
				out[1] += n
			}
		}
	}
	return out, nil
}

// waitFor polls a file until it contains want.
func waitFor(dir, name, want string, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || bytes.Contains(b, []byte(want)) || time.Now().After(deadline) {
			return
		}
		time.Sleep(time.Millisecond)
	}
}
