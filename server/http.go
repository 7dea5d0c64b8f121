package server

import (
	"errors"
	"io"
	"net/http"
	"time"
)

// timeouts bound how long a client may take to send a request, so that
// one that stalls (or trickles a byte now and then) cannot hold a
// connection and its goroutine for ever.
type timeouts struct {
	// header bounds the request line and headers.
	header time.Duration
	// bodyIdle bounds the time between two reads of a request body that
	// bring data: a stalled upload is cut off after it.
	bodyIdle time.Duration
	// body bounds a whole request body: a 32 MiB upload must come at
	// 55 KB/s at least.
	body time.Duration
	// idle bounds a keep-alive connection's wait for its next request.
	idle time.Duration
}

var defaultTimeouts = timeouts{header: 10 * time.Second, bodyIdle: 30 * time.Second, body: 10 * time.Minute, idle: 2 * time.Minute}

// newHTTPServer returns the server's http.Server. There is no overall read
// or write timeout: the log-follow and event streams (Server-Sent Events)
// and large downloads last as long as they need; request bodies get their
// deadlines from bodyDeadlines.
func newHTTPServer(h http.Handler, t timeouts) *http.Server {
	return &http.Server{
		Handler:           bodyDeadlines(h, t),
		ReadHeaderTimeout: t.header,
		IdleTimeout:       t.idle,
		MaxHeaderBytes:    1 << 20,
	}
}

// bodyDeadlines gives a request that has a body a read deadline, moved
// forward at each read (by t.bodyIdle, never past t.body from the start)
// and lifted once the body is read to its end, so that the handler's
// work after reading, and the server's watch for the client going away,
// have no deadline.
func bodyDeadlines(h http.Handler, t timeouts) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			b := &deadlineBody{ReadCloser: r.Body, rc: http.NewResponseController(w), idle: t.bodyIdle, end: time.Now().Add(t.body)}
			b.extend() // also bounds the server's read of a body the handler left
			r.Body = b
		}
		h.ServeHTTP(w, r)
	})
}

type deadlineBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	idle time.Duration
	end  time.Time
	done bool
}

func (b *deadlineBody) extend() {
	d := time.Now().Add(b.idle)
	if d.After(b.end) {
		d = b.end
	}
	_ = b.rc.SetReadDeadline(d) // not supported: the request has no deadline, as before
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	if b.done {
		return b.ReadCloser.Read(p)
	}
	b.extend()
	n, err := b.ReadCloser.Read(p)
	if errors.Is(err, io.EOF) {
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}
