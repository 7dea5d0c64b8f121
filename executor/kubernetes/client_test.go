package kubernetes

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
)

// NewClient speaks the core/v1 REST API as client-go's clientset does:
// each call's method, path, query and body, against an HTTP server on
// loopback answering as an API server would (the cluster tests run the
// executor on a real one through the same client).
func TestClientSpeaksCoreV1(t *testing.T) {
	var (
		mu   sync.Mutex
		seen []string
	)
	write := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
		mu.Unlock()
		switch {
		case r.Method == "POST" && r.URL.Path == "/api/v1/namespaces/steps/pods":
			var p corev1.Pod
			if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
				http.Error(w, err.Error(), 400)
				return
			}
			p.UID = "uid-1"
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			json.NewEncoder(w).Encode(p)
		case r.Method == "GET" && r.URL.Path == "/api/v1/namespaces/steps/pods" && r.URL.Query().Get("watch") == "true":
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]any{"type": "ADDED", "object": corev1.Pod{
				TypeMeta: metav1.TypeMeta{Kind: "Pod", APIVersion: "v1"}, ObjectMeta: metav1.ObjectMeta{Name: "p2", ResourceVersion: "8"}}})
		case r.Method == "GET" && r.URL.Path == "/api/v1/namespaces/steps/pods":
			write(w, corev1.PodList{TypeMeta: metav1.TypeMeta{Kind: "PodList", APIVersion: "v1"}, ListMeta: metav1.ListMeta{ResourceVersion: "7"},
				Items: []corev1.Pod{{ObjectMeta: metav1.ObjectMeta{Name: "p1"}}}})
		case r.Method == "GET" && r.URL.Path == "/api/v1/namespaces/steps/pods/p1/log":
			io.WriteString(w, "line 1\nline 2\n")
		case r.Method == "GET" && r.URL.Path == "/api/v1/namespaces/steps/events":
			write(w, corev1.EventList{TypeMeta: metav1.TypeMeta{Kind: "EventList", APIVersion: "v1"},
				Items: []corev1.Event{{Reason: "FailedMount", Type: corev1.EventTypeWarning}}})
		case r.Method == "DELETE" && r.URL.Path == "/api/v1/namespaces/steps/pods/p1":
			write(w, metav1.Status{TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}, Status: metav1.StatusSuccess})
		case r.Method == "DELETE" && r.URL.Path == "/api/v1/namespaces/steps/pods/gone":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			json.NewEncoder(w).Encode(metav1.Status{TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}, Status: metav1.StatusFailure,
				Reason: metav1.StatusReasonNotFound, Code: 404, Message: `pods "gone" not found`})
		case r.Method == "DELETE" && r.URL.Path == "/api/v1/namespaces/steps/pods":
			write(w, metav1.Status{TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}, Status: metav1.StatusSuccess})
		default:
			http.Error(w, "unexpected "+r.Method+" "+r.URL.String(), 500)
		}
	}))
	defer srv.Close()
	c, err := NewClient(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()

	p, err := c.CreatePod(ctx, "steps", &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p1"}})
	if err != nil || p.Name != "p1" || p.UID != "uid-1" {
		t.Fatalf("CreatePod: %+v %v", p.ObjectMeta, err)
	}
	l, err := c.ListPods(ctx, "steps", metav1.ListOptions{LabelSelector: "a=b"})
	if err != nil || len(l.Items) != 1 || l.Items[0].Name != "p1" || l.ResourceVersion != "7" {
		t.Fatalf("ListPods: %+v %v", l, err)
	}
	wi, err := c.WatchPods(ctx, "steps", metav1.ListOptions{LabelSelector: "a=b", ResourceVersion: "7"})
	if err != nil {
		t.Fatal(err)
	}
	ev := <-wi.ResultChan()
	wi.Stop()
	if wp, ok := ev.Object.(*corev1.Pod); ev.Type != watch.Added || !ok || wp.Name != "p2" {
		t.Fatalf("watch event %v %#v", ev.Type, ev.Object)
	}
	rc, err := c.PodLogs(ctx, "steps", "p1", &corev1.PodLogOptions{Container: ContainerName, Follow: true})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "line 1\nline 2\n" {
		t.Fatalf("log %q", b)
	}
	evs, err := c.ListEvents(ctx, "steps", metav1.ListOptions{FieldSelector: "involvedObject.name=p1"})
	if err != nil || len(evs.Items) != 1 || evs.Items[0].Reason != "FailedMount" {
		t.Fatalf("ListEvents: %+v %v", evs, err)
	}
	if err := c.DeletePod(ctx, "steps", "p1"); err != nil {
		t.Fatal(err)
	}
	if err := c.DeletePod(ctx, "steps", "gone"); err == nil || !apierrors.IsNotFound(err) {
		t.Fatalf("DeletePod of a missing pod: %v, want NotFound", err)
	}
	if err := c.DeletePods(ctx, "steps", metav1.ListOptions{LabelSelector: "run=r1"}); err != nil {
		t.Fatal(err)
	}

	want := []string{
		"POST /api/v1/namespaces/steps/pods?",
		"GET /api/v1/namespaces/steps/pods?labelSelector=a%3Db",
		"GET /api/v1/namespaces/steps/pods?labelSelector=a%3Db&resourceVersion=7&watch=true",
		"GET /api/v1/namespaces/steps/pods/p1/log?container=main&follow=true",
		"GET /api/v1/namespaces/steps/events?fieldSelector=involvedObject.name%3Dp1",
		"DELETE /api/v1/namespaces/steps/pods/p1?",
		"DELETE /api/v1/namespaces/steps/pods/gone?",
		"DELETE /api/v1/namespaces/steps/pods?labelSelector=run%3Dr1",
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(seen, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(seen, "\n"), strings.Join(want, "\n"))
	}
}
