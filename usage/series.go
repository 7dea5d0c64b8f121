package usage

import (
	"math"
	"time"
)

// Series is a step's CPU and memory sampled at a fixed interval, kept
// compact: at most MaxSamples points, so a long step's series is coarser
// (every two neighbours merged, the interval doubled, whenever it would
// grow past the bound), never longer.
type Series struct {
	// IntervalSeconds is the time each point covers.
	IntervalSeconds float64 `json:"intervalSeconds"`
	// CPUPercent is the CPU used in each interval: 100 is one core busy
	// the whole time.
	CPUPercent []float64 `json:"cpuPercent"`
	// MemoryBytes is the highest memory seen in each interval.
	MemoryBytes []int64 `json:"memoryBytes"`
}

// MaxSamples bounds the points of a Series.
const MaxSamples = 120

// MinSamples is how many points a step needs before its series is kept:
// steps shorter than a few seconds have their totals only.
const MinSamples = 3

// Sampler builds a Series from readings taken every Interval: the step's
// cumulative CPU time and its memory at that moment. It is not safe for
// concurrent use.
type Sampler struct {
	// Interval is the time between readings (default one second).
	Interval time.Duration

	s       Series
	lastCPU float64
	started bool
	// the point being filled when the interval is coarser than readings
	per    int // readings per point
	n      int
	cpuSum float64
	memMax int64
	peak   int64
}

func (sm *Sampler) interval() time.Duration {
	if sm.Interval <= 0 {
		return time.Second
	}
	return sm.Interval
}

// Start records the reading at the start of the step (cumulative CPU
// seconds, usually 0).
func (sm *Sampler) Start(cpuSeconds float64) {
	sm.lastCPU, sm.started, sm.per = cpuSeconds, true, 1
	sm.s.IntervalSeconds = sm.interval().Seconds()
}

// Add records one reading, an Interval after the previous one.
func (sm *Sampler) Add(cpuSeconds float64, memoryBytes int64) {
	if !sm.started {
		sm.Start(0)
	}
	pct := (cpuSeconds - sm.lastCPU) / sm.interval().Seconds() * 100
	if pct < 0 || math.IsNaN(pct) {
		pct = 0
	}
	sm.lastCPU = cpuSeconds
	sm.peak = max(sm.peak, memoryBytes)
	sm.cpuSum += pct
	sm.memMax = max(sm.memMax, memoryBytes)
	sm.n++
	if sm.n < sm.per {
		return
	}
	sm.s.CPUPercent = append(sm.s.CPUPercent, math.Round(sm.cpuSum/float64(sm.n)*10)/10)
	sm.s.MemoryBytes = append(sm.s.MemoryBytes, sm.memMax)
	sm.n, sm.cpuSum, sm.memMax = 0, 0, 0
	if len(sm.s.CPUPercent) >= MaxSamples {
		sm.halve()
	}
}

// halve merges every two neighbouring points and doubles the interval.
func (sm *Sampler) halve() {
	cpu, mem := sm.s.CPUPercent, sm.s.MemoryBytes
	k := 0
	for i := 0; i+1 < len(cpu); i += 2 {
		cpu[k] = math.Round((cpu[i]+cpu[i+1])/2*10) / 10
		mem[k] = max(mem[i], mem[i+1])
		k++
	}
	if len(cpu)%2 == 1 { // the odd last point becomes the start of the next
		last := len(cpu) - 1
		sm.cpuSum, sm.memMax, sm.n = cpu[last], mem[last], 1
	}
	sm.s.CPUPercent, sm.s.MemoryBytes = cpu[:k], mem[:k]
	sm.per *= 2
	sm.s.IntervalSeconds *= 2
}

// Peak is the highest memory reading so far.
func (sm *Sampler) Peak() int64 { return sm.peak }

// Series returns the series, or nil when it has fewer than MinSamples
// points (a short step).
func (sm *Sampler) Series() *Series {
	if len(sm.s.CPUPercent) < MinSamples {
		return nil
	}
	out := Series{IntervalSeconds: sm.s.IntervalSeconds,
		CPUPercent:  append([]float64(nil), sm.s.CPUPercent...),
		MemoryBytes: append([]int64(nil), sm.s.MemoryBytes...)}
	return &out
}
