package executor

import (
	"strings"
	"testing"
)

func TestQuantities(t *testing.T) {
	q, err := Resources{CPURequest: "500m", CPULimit: " 2 ", MemoryRequest: "512Mi", MemoryLimit: "1.5Gi",
		AcceleratorType: "nvidia.com/gpu", AcceleratorCount: "2"}.Quantities()
	if err != nil {
		t.Fatal(err)
	}
	want := Quantities{CPURequest: 0.5, CPULimit: 2, MemoryRequest: 512 << 20, MemoryLimit: 3 << 29,
		Accelerators: 2, AcceleratorType: "nvidia.com/gpu"}
	if q != want {
		t.Fatalf("got %+v, want %+v", q, want)
	}
	if q, err := (Resources{AcceleratorType: "nvidia.com/gpu"}).Quantities(); err != nil || q.Accelerators != 1 {
		t.Fatalf("a type without a count: %+v, %v", q, err)
	}
	if q, err := (Resources{MemoryLimit: "100m"}).Quantities(); err != nil || q.MemoryLimit != 1 {
		t.Fatalf("a fraction of a byte rounds up: %+v, %v", q, err)
	}
	if q, err := (Resources{}).Quantities(); err != nil || q != (Quantities{}) {
		t.Fatalf("unset: %+v, %v", q, err)
	}
	for _, c := range []struct {
		r    Resources
		want string
	}{
		{Resources{CPULimit: "lots"}, `cpu limit "lots" is not a quantity`},
		{Resources{CPURequest: "1", MemoryRequest: "-1Gi"}, `memory request "-1Gi" is negative`},
		{Resources{AcceleratorCount: "two"}, `accelerator count "two" is not a quantity`},
	} {
		if _, err := c.r.Quantities(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got %v, want an error containing %q", c.r, err, c.want)
		}
	}
}
