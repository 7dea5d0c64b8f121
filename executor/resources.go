package executor

import (
	"fmt"
	"math"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
)

// Resources are a step's resource requests and limits, as Kubernetes
// quantities ("500m", "4Gi"); empty means unset.
type Resources struct {
	CPURequest, CPULimit, MemoryRequest, MemoryLimit string
	// AcceleratorType is the resource name (nvidia.com/gpu), with
	// AcceleratorCount of them.
	AcceleratorType, AcceleratorCount string
}

// Quantities are Resources as numbers: CPU in cores, memory in bytes; zero
// means unset.
type Quantities struct {
	CPURequest, CPULimit       float64
	MemoryRequest, MemoryLimit int64
	// Accelerators is how many AcceleratorType the step asks for (1 when
	// it names a type without a count).
	Accelerators    int64
	AcceleratorType string
}

// Quantities parses the resources; an unparsable one is an error naming
// the field.
func (r Resources) Quantities() (Quantities, error) {
	var q Quantities
	for _, f := range []struct {
		field, value string
		set          func(resource.Quantity)
	}{
		{"cpu request", r.CPURequest, func(x resource.Quantity) { q.CPURequest = cores(x) }},
		{"cpu limit", r.CPULimit, func(x resource.Quantity) { q.CPULimit = cores(x) }},
		{"memory request", r.MemoryRequest, func(x resource.Quantity) { q.MemoryRequest = bytesOf(x) }},
		{"memory limit", r.MemoryLimit, func(x resource.Quantity) { q.MemoryLimit = bytesOf(x) }},
		{"accelerator count", r.AcceleratorCount, func(x resource.Quantity) { q.Accelerators = x.Value() }},
	} {
		if strings.TrimSpace(f.value) == "" {
			continue
		}
		x, err := parse(f.field, f.value)
		if err != nil {
			return Quantities{}, err
		}
		f.set(x)
	}
	q.AcceleratorType = strings.TrimSpace(r.AcceleratorType)
	if q.AcceleratorType != "" && strings.TrimSpace(r.AcceleratorCount) == "" {
		q.Accelerators = 1
	}
	return q, nil
}

// cores is a CPU quantity in cores.
func cores(x resource.Quantity) float64 { return float64(x.MilliValue()) / 1000 }

// bytesOf is a memory quantity in bytes, rounded up.
func bytesOf(x resource.Quantity) int64 {
	if b, ok := x.AsInt64(); ok {
		return b
	}
	return int64(math.Ceil(x.AsApproximateFloat64()))
}

func parse(field, v string) (resource.Quantity, error) {
	x, err := resource.ParseQuantity(strings.TrimSpace(v))
	if err != nil {
		return x, fmt.Errorf("resources: %s %q is not a quantity (examples: 500m, 2, 512Mi, 4G)", field, v)
	}
	if x.Sign() < 0 {
		return x, fmt.Errorf("resources: %s %q is negative", field, v)
	}
	return x, nil
}

// CPU is what the step asks for to be admitted: its CPU request, or its
// limit when it gives none (as Kubernetes defaults a request to the limit).
func (q Quantities) CPU() float64 {
	if q.CPURequest > 0 {
		return q.CPURequest
	}
	return q.CPULimit
}

// Memory is the step's memory request, or its limit when it gives none.
func (q Quantities) Memory() int64 {
	if q.MemoryRequest > 0 {
		return q.MemoryRequest
	}
	return q.MemoryLimit
}

// ParseCPU reads a number of cores given as a Kubernetes quantity ("2",
// "1500m"); the error names the flag or field.
func ParseCPU(field, v string) (float64, error) {
	x, err := resource.ParseQuantity(strings.TrimSpace(v))
	if err != nil || x.Sign() < 0 {
		return 0, fmt.Errorf("%s %q: not a number of CPUs (examples: 2, 1500m)", field, v)
	}
	return float64(x.MilliValue()) / 1000, nil
}

// ParseMemory reads a number of bytes given as a Kubernetes quantity
// ("8Gi", "512M"); the error names the flag or field.
func ParseMemory(field, v string) (int64, error) {
	x, err := resource.ParseQuantity(strings.TrimSpace(v))
	if err != nil || x.Sign() < 0 {
		return 0, fmt.Errorf("%s %q: not an amount of memory (examples: 8Gi, 512Mi, 2G)", field, v)
	}
	if b, ok := x.AsInt64(); ok {
		return b, nil
	}
	return int64(math.Ceil(x.AsApproximateFloat64())), nil
}
