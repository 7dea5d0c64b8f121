package server

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// serveHTTP serves h with newHTTPServer and the given timeouts on a
// loopback port.
func serveHTTP(t *testing.T, h http.Handler, to timeouts) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := newHTTPServer(h, to)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// cutOff sends raw bytes and then nothing, and reports whether the server
// closes the connection. The client waits far longer than the server's
// timeouts: a server without them never closes it.
func cutOff(t *testing.T, addr, raw string) (bool, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	b, err := io.ReadAll(c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false, string(b)
	}
	return true, string(b) // EOF or a reset: the server closed it
}

// reader reads the body, then works for a while (no deadline may cut
// that work short) and answers with the body's size.
func reader(work time.Duration) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-time.After(work):
		}
		fmt.Fprintf(w, "read %d bytes", len(b))
	}
}

// A client that sends half a request and stalls — in the headers or in
// the body — is cut off; the event streams and a slow but steady upload
// are not.
func TestStalledRequestsAreCutOff(t *testing.T) {
	to := timeouts{header: 300 * time.Millisecond, bodyIdle: 300 * time.Millisecond, body: 20 * time.Second, idle: 300 * time.Millisecond}
	work := 2 * to.bodyIdle
	mux := http.NewServeMux()
	mux.HandleFunc("POST /read", reader(work))
	mux.HandleFunc("GET /events", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range 8 { // longer than every timeout
			fmt.Fprintf(w, "data: %d\n\n", i)
			http.NewResponseController(w).Flush()
			time.Sleep(to.bodyIdle / 2)
		}
	})
	addr := serveHTTP(t, mux, to)

	for name, raw := range map[string]string{
		"half a request line": "POST /rea",
		"half the headers":    "POST /read HTTP/1.1\r\nHost: " + addr + "\r\nContent-Le",
		"half the body":       "POST /read HTTP/1.1\r\nHost: " + addr + "\r\nContent-Length: 100\r\n\r\n0123456789",
		"a chunked body":      "POST /read HTTP/1.1\r\nHost: " + addr + "\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
		"an idle connection":  "",
	} {
		if ok, got := cutOff(t, addr, raw); !ok {
			t.Errorf("%s: not cut off (read %q)", name, got)
		}
	}

	// A body sent slowly but steadily: each byte within bodyIdle of the
	// last, the whole taking longer than bodyIdle.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const n = 12
	fmt.Fprintf(c, "POST /read HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n", addr, n)
	for range n {
		c.Write([]byte("x"))
		time.Sleep(to.bodyIdle / 6)
	}
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(b) != fmt.Sprintf("read %d bytes", n) {
		t.Errorf("slow steady body: %d %s", resp.StatusCode, b)
	}

	// An event stream outlives every timeout.
	res, err := http.Get("http://" + addr + "/events")
	if err != nil {
		t.Fatal(err)
	}
	b, err = io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || strings.Count(string(b), "data: ") != 8 {
		t.Errorf("event stream: %q %v", b, err)
	}
}

// The whole body has a deadline too: a client trickling a byte within
// each bodyIdle is cut off at body.
func TestTricklingBodyIsCutOff(t *testing.T) {
	to := timeouts{header: time.Second, bodyIdle: 2 * time.Second, body: 600 * time.Millisecond, idle: time.Second}
	addr := serveHTTP(t, reader(0), to)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST /read HTTP/1.1\r\nHost: %s\r\nContent-Length: 1000\r\n\r\n", addr)
	done := make(chan struct{})
	go func() { // a byte every 100ms, for up to 30 s
		defer close(done)
		for range 300 {
			if _, err := c.Write([]byte("x")); err != nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatal("a trickling body was not cut off")
		}
		return // closed without an answer: cut off
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "timeout") {
		t.Errorf("trickling body: %d %s", resp.StatusCode, b)
	}
	c.Close()
	<-done
}
