package archetype

import (
	"bytes"
	"log/slog"
	"testing"
	"time"
)

func TestArchetype(t *testing.T) {
	var zero Archetype
	zero.Log().Info("goes nowhere")
	if d := time.Since(zero.Now()); d < 0 || d > time.Minute {
		t.Fatalf("zero clock is off by %s", d)
	}
	var buf bytes.Buffer
	at := time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)
	a := Archetype{Logger: slog.New(slog.NewTextHandler(&buf, nil)), Clock: func() time.Time { return at }}
	a.Log().Info("hello")
	if !bytes.Contains(buf.Bytes(), []byte("hello")) || !a.Now().Equal(at) {
		t.Fatalf("log %q, now %s", buf.String(), a.Now())
	}
}
