package usage

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func TestBytes(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0B", 1000: "1000B", 1024: "1Ki", 1536: "1.5Ki", 612 << 20: "612Mi", 512 << 20: "512Mi",
		214958080: "205Mi", 3 << 30: "3Gi", 1610612736: "1.5Gi", 10*1024*1024 + 1: "10Mi",
	} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestOOMMessage(t *testing.T) {
	if got, want := OOMMessage(612<<20, 512<<20), "OOMKilled: peak 612Mi exceeded the memory limit 512Mi"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	for _, m := range []string{OOMMessage(512<<20, 512<<20), OOMMessage(1<<20, 0)} {
		if !strings.HasPrefix(m, "OOMKilled: ") {
			t.Errorf("%q does not start with OOMKilled", m)
		}
	}
}

// The contract scripts rely on: the three figures are always present.
func TestJSONContract(t *testing.T) {
	b, _ := json.Marshal(Usage{CPUSeconds: 1.52, PeakMemoryBytes: 214958080, WallSeconds: 1.61})
	if got, want := string(b), `{"cpuSeconds":1.52,"peakMemoryBytes":214958080,"wallSeconds":1.61}`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func TestSamplerShortStepHasNoSeries(t *testing.T) {
	var s Sampler
	s.Start(0)
	s.Add(0.5, 100)
	s.Add(1.0, 200)
	if s.Series() != nil {
		t.Fatal("a two-second step got a series")
	}
	if s.Peak() != 200 {
		t.Fatalf("peak %d", s.Peak())
	}
}

func TestSamplerPercentAndCompaction(t *testing.T) {
	var s Sampler
	s.Start(0)
	cpu := 0.0
	n := 3*MaxSamples + 7
	for i := 0; i < n; i++ {
		cpu += 0.5 // half a core
		s.Add(cpu, int64(i))
	}
	sr := s.Series()
	if sr == nil {
		t.Fatal("no series")
	}
	if len(sr.CPUPercent) > MaxSamples || len(sr.CPUPercent) != len(sr.MemoryBytes) {
		t.Fatalf("%d cpu points, %d memory points (max %d)", len(sr.CPUPercent), len(sr.MemoryBytes), MaxSamples)
	}
	if sr.IntervalSeconds != 4 {
		t.Fatalf("interval %v after %d readings, want 4", sr.IntervalSeconds, n)
	}
	for i, p := range sr.CPUPercent {
		if p != 50 {
			t.Fatalf("point %d: %v%%, want 50", i, p)
		}
	}
	// Memory keeps each interval's maximum: point i covers readings 4i..4i+3.
	for i, m := range sr.MemoryBytes {
		if m != int64(4*i+3) {
			t.Fatalf("memory point %d = %d, want %d", i, m, 4*i+3)
		}
	}
	if s.Peak() != int64(n-1) {
		t.Fatalf("peak %d", s.Peak())
	}
}

// Figures from a pod's outputs record are cleaned before they are kept.
func TestClean(t *testing.T) {
	u := Usage{CPUSeconds: -1, PeakMemoryBytes: -5, WallSeconds: math.Inf(1), Method: "<script>",
		Samples: &Series{IntervalSeconds: 1, CPUPercent: make([]float64, MaxSamples+1), MemoryBytes: make([]int64, MaxSamples+1)}}
	u.Clean()
	if u.CPUSeconds != 0 || u.PeakMemoryBytes != 0 || u.WallSeconds != 0 || u.Method != "" || u.Samples != nil {
		t.Fatalf("%+v", u)
	}
	ok := Usage{CPUSeconds: 1.5, PeakMemoryBytes: 10, Method: PodCgroup2, Samples: &Series{IntervalSeconds: 1, CPUPercent: []float64{50}, MemoryBytes: []int64{10}}}
	ok.Clean()
	if ok.CPUSeconds != 1.5 || ok.Method != PodCgroup2 || ok.Samples == nil {
		t.Fatalf("%+v", ok)
	}
	bad := Usage{Samples: &Series{IntervalSeconds: 1, CPUPercent: []float64{1, 2}, MemoryBytes: []int64{1}}}
	bad.Clean()
	if bad.Samples != nil {
		t.Fatal("mismatched series kept")
	}
}
