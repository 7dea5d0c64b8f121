package runstate

import "testing"

func TestTerminal(t *testing.T) {
	for s, want := range map[State]bool{
		Pending: false, Running: false, Canceling: false, Paused: false, "": false,
		Succeeded: true, Skipped: true, Failed: true, Canceled: true,
	} {
		if got := s.Terminal(); got != want {
			t.Errorf("%q.Terminal() = %v, want %v", s, got, want)
		}
	}
}
