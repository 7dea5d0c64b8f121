package usage

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// Usage is what one attempt of a step used. Its JSON is the "resources"
// object of a task in `sluice run --json` and in the API's task records:
// cpuSeconds, peakMemoryBytes and wallSeconds always, the others when
// known.
type Usage struct {
	// CPUSeconds is user + system CPU time of every process of the step.
	CPUSeconds float64 `json:"cpuSeconds"`
	// PeakMemoryBytes is the highest memory use of the step's whole
	// process tree (see Method for what counts).
	PeakMemoryBytes int64 `json:"peakMemoryBytes"`
	// WallSeconds is how long the step's process ran.
	WallSeconds float64 `json:"wallSeconds"`
	// ReadBytes and WriteBytes are the bytes the step read from and wrote
	// to block devices (page-cache hits are not reads), when known.
	ReadBytes  int64 `json:"readBytes,omitempty"`
	WriteBytes int64 `json:"writeBytes,omitempty"`
	// OOMKilled is set when a process of the step was killed because the
	// step went over its memory limit.
	OOMKilled bool `json:"oomKilled,omitempty"`
	// MemoryLimitBytes and CPULimit (cores) are the limits the step ran
	// under, when it had any.
	MemoryLimitBytes int64   `json:"memoryLimitBytes,omitempty"`
	CPULimit         float64 `json:"cpuLimit,omitempty"`
	// Method says how the figures were measured: "cgroup2", "cgroup1",
	// "process" (wait4 and /proc), "pod-cgroup2" or "pod-cgroup1" (the
	// step's container, measured by the launcher in the pod).
	Method string `json:"method,omitempty"`
	// Samples is the CPU and memory series of a step that ran longer than
	// a few seconds.
	Samples *Series `json:"samples,omitempty"`
}

// Methods of measurement (Usage.Method).
const (
	Cgroup2    = "cgroup2"
	Cgroup1    = "cgroup1"
	Process    = "process"
	PodCgroup2 = "pod-cgroup2"
	PodCgroup1 = "pod-cgroup1"
)

// Round rounds the floating figures to what is worth storing: CPU and
// wall seconds to the millisecond.
func (u *Usage) Round() {
	u.CPUSeconds = math.Round(u.CPUSeconds*1000) / 1000
	u.WallSeconds = math.Round(u.WallSeconds*1000) / 1000
	u.CPULimit = math.Round(u.CPULimit*1000) / 1000
}

// OOMMessage is the error of a step stopped for memory. It starts with
// "OOMKilled" (scripts rely on it).
func OOMMessage(peak, limit int64) string {
	switch {
	case limit <= 0:
		return fmt.Sprintf("OOMKilled: the step ran out of memory (peak %s)", Bytes(peak))
	case peak > limit:
		return fmt.Sprintf("OOMKilled: peak %s exceeded the memory limit %s", Bytes(peak), Bytes(limit))
	}
	return fmt.Sprintf("OOMKilled: peak %s reached the memory limit %s", Bytes(peak), Bytes(limit))
}

// Bytes formats a byte count with binary units as Kubernetes writes
// quantities: 512Mi, 1.5Gi, 900Ki.
func Bytes(n int64) string {
	if n < 1024 {
		return strconv.FormatInt(n, 10) + "B"
	}
	units := []string{"Ki", "Mi", "Gi", "Ti", "Pi", "Ei"}
	v := float64(n)
	i := -1
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if v >= 10 || v == math.Trunc(v) {
		return strconv.FormatFloat(math.Round(v), 'f', -1, 64) + units[i]
	}
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) + units[i]
}

// Seconds formats a CPU time: 0.12s, 1.5s, 2m3s.
func Seconds(s float64) string {
	switch {
	case s < 10:
		return strconv.FormatFloat(math.Round(s*100)/100, 'f', -1, 64) + "s"
	case s < 60:
		return strconv.FormatFloat(math.Round(s*10)/10, 'f', -1, 64) + "s"
	}
	return (time.Duration(math.Round(s)) * time.Second).String()
}

// Clean makes figures read from elsewhere (a pod's outputs record, which
// the step could have written) fit for storing: no negative or
// non-finite numbers, a method Sluice knows, and a series within
// MaxSamples whose two lists match (else none).
func (u *Usage) Clean() {
	f := func(x *float64) {
		if math.IsNaN(*x) || math.IsInf(*x, 0) || *x < 0 {
			*x = 0
		}
	}
	i := func(x *int64) {
		if *x < 0 {
			*x = 0
		}
	}
	f(&u.CPUSeconds)
	f(&u.WallSeconds)
	f(&u.CPULimit)
	i(&u.PeakMemoryBytes)
	i(&u.ReadBytes)
	i(&u.WriteBytes)
	i(&u.MemoryLimitBytes)
	switch u.Method {
	case Cgroup2, Cgroup1, Process, PodCgroup2, PodCgroup1, "":
	default:
		u.Method = ""
	}
	if s := u.Samples; s != nil {
		ok := len(s.CPUPercent) == len(s.MemoryBytes) && len(s.CPUPercent) <= MaxSamples && s.IntervalSeconds > 0 && !math.IsInf(s.IntervalSeconds, 0)
		for k := range s.CPUPercent {
			if !ok {
				break
			}
			ok = !math.IsNaN(s.CPUPercent[k]) && !math.IsInf(s.CPUPercent[k], 0) && s.CPUPercent[k] >= 0 && s.MemoryBytes[k] >= 0
		}
		if !ok {
			u.Samples = nil
		}
	}
}
