package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// How the streams of changes (a run's events, a tuning experiment's) are
// paced: see streamChanges.
var (
	// pollEvery is how often streams look for news.
	pollEvery = 200 * time.Millisecond
	// heartbeatEvery is how long a stream of changes may stay silent
	// before it sends a comment line, so that a proxy between the server
	// and a client does not close a quiet stream as idle.
	heartbeatEvery = 15 * time.Second
	// streamWriteTimeout is how long a stream of changes waits for a
	// client that does not take what it writes before it gives up on it.
	streamWriteTimeout = 30 * time.Second
)

// pace is how a stream of changes is paced: how often it polls, after how
// long a silence it sends a heartbeat, how long one write may block.
type pace struct {
	poll, heartbeat, write time.Duration
}

func streamPace() pace {
	return pace{poll: pollEvery, heartbeat: heartbeatEvery, write: streamWriteTimeout}
}

// streamChanges serves a stream of changes as Server-Sent Events, the one
// loop behind the run and the tuning experiment event routes. It calls
// open first, if there is one, to check that what is followed exists: its
// error is the route's error response, before any event. Then it sends the
// stream's headers, and calls poll at once, for the state of what is
// followed (the first snapshot), and after that every p.poll for what
// changed since; poll writes its events to ev and returns true when the
// stream is complete (it has sent "end"), or an error, which ends the
// stream with an "error" event holding its message. The stream also ends
// when the client goes away, or leaves a write untaken for p.write (a
// client that stopped reading does not hold the handler). A stream silent
// for p.heartbeat gets a comment line, which clients ignore.
func (s *server) streamChanges(w http.ResponseWriter, r *http.Request, p pace, open func(ctx context.Context) error,
	poll func(ctx context.Context, ev *sse) (done bool, err error)) {
	ctx := r.Context()
	if open != nil {
		if err := open(ctx); err != nil {
			s.writeRPCError(w, r, err)
			return
		}
	}
	ev := newSSE(w)
	tick := time.NewTicker(p.poll)
	defer tick.Stop()
	beat := time.NewTicker(p.heartbeat)
	defer beat.Stop()
	for {
		ev.deadline(p.write)
		done, err := poll(ctx, ev)
		if err != nil {
			ev.send("error", err.Error())
			done = true
		}
		ev.flush()
		if done || ev.err != nil {
			return
		}
	wait:
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				break wait
			case <-beat.C:
				if !ev.sent {
					ev.deadline(p.write)
					ev.comment("keep-alive")
					ev.flush()
					if ev.err != nil {
						return
					}
				}
				ev.sent = false
			}
		}
	}
}

// sse writes Server-Sent Events. The first write that fails is kept in
// err, and nothing is written after it.
type sse struct {
	w    http.ResponseWriter
	rc   *http.ResponseController
	err  error
	sent bool // something was written since the last heartbeat
}

func newSSE(w http.ResponseWriter) *sse {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	return &sse{w: w, rc: http.NewResponseController(w)}
}

func (e *sse) write(b []byte) {
	if e.err != nil {
		return
	}
	e.sent = true
	_, e.err = e.w.Write(b)
}

func (e *sse) send(event, data string) {
	var b bytes.Buffer
	if event != "" {
		fmt.Fprintf(&b, "event: %s\n", event)
	}
	for _, line := range strings.Split(data, "\n") {
		fmt.Fprintf(&b, "data: %s\n", strings.TrimSuffix(line, "\r"))
	}
	b.WriteString("\n")
	e.write(b.Bytes())
}

// data sends one line (without its newline) as an unnamed event.
func (e *sse) data(line []byte) {
	line = bytes.TrimSuffix(line, []byte("\r"))
	e.write(dataPrefix)
	e.write(line)
	e.write(eventEnd)
}

var dataPrefix, eventEnd = []byte("data: "), []byte("\n\n")

// comment sends a comment line (no event: clients skip it).
func (e *sse) comment(text string) {
	e.write([]byte(": " + text + "\n\n"))
}

func (e *sse) flush() {
	if e.err != nil {
		return
	}
	if err := e.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		e.err = err
	}
}

// deadline bounds the writes from now on to d (net/http lifts it when
// the response is over).
func (e *sse) deadline(d time.Duration) {
	e.rc.SetWriteDeadline(time.Now().Add(d)) // ErrNotSupported: unbounded
}
