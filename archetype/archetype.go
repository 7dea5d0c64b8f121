package archetype

import (
	"log/slog"
	"time"
)

// Archetype holds the logger and the clock. Its zero value logs nowhere
// and reads the real clock.
type Archetype struct {
	// Logger receives the log; nil discards it.
	Logger *slog.Logger
	// Clock tells the time; nil is time.Now.
	Clock func() time.Time
}

var discard = slog.New(slog.DiscardHandler)

// Log returns the logger.
func (a Archetype) Log() *slog.Logger {
	if a.Logger == nil {
		return discard
	}
	return a.Logger
}

// Now is the time by the clock.
func (a Archetype) Now() time.Time {
	if a.Clock == nil {
		return time.Now()
	}
	return a.Clock()
}
