package bytesize

import "testing"

func TestText(t *testing.T) {
	for n, want := range map[int64]string{4 << 20: "4 MiB", 256 << 10: "256 KiB", 1000: "1000 bytes", 1<<20 + 1: "1048577 bytes", 0: "0 bytes"} {
		if got := Text(n); got != want {
			t.Errorf("Text(%d) = %q, want %q", n, got, want)
		}
	}
	if got := Text(8 << 20); got != "8 MiB" {
		t.Errorf("Text(int) = %q", got)
	}
}
