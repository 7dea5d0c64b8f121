package server_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sluicehq/sluice/artifact/artifacttest"
	kexec "github.com/sluicehq/sluice/executor/kubernetes"
	"github.com/sluicehq/sluice/internal/kubetest"
	"github.com/sluicehq/sluice/store"
)

// TestClusterServerKilledWhilePodsRun runs `sluice server --executor
// kubernetes` against the real local cluster (scripts/k8s/up.sh), kills it
// with SIGKILL while step pods are running, starts it again on the same
// database, and checks that the run ends SUCCEEDED with its result whole
// and exactly one pod per step: the new server re-attached to the pods the
// old one had started instead of starting them again.
func TestClusterServerKilledWhilePodsRun(t *testing.T) {
	kubeconfig := kubetest.Kubeconfig(t)
	cs := kubetest.Client(t)
	storeURL := artifacttest.ExternalOrInProcess(t, "sluice-restart", "restart")
	ctx := context.Background()
	secret := kubetest.S3Secret(t, cs, "default", "sluice-test-restart-s3")

	addr, data := freeAddr(t), t.TempDir()
	args := []string{"--executor", "kubernetes", "--kubeconfig", kubeconfig, "--namespace", "default",
		"--launcher-image", "docker.io/library/sluice:latest", "--artifacts", storeURL,
		"--artifacts-secret", secret, "--pod-host-network", "--keep-pods", "1h"}
	srv := startServer(t, addr, data, args...)
	c := &client{t: t, base: "http://" + addr}
	// Four squares that take 8 s each, at most three at a time, then a sum.
	id := c.submit(fanout(4, "8"))
	pods := func(phase corev1.PodPhase) int {
		l, err := cs.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: kexec.LabelRun + "=" + id})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, p := range l.Items {
			if phase == "" || p.Status.Phase == phase {
				n++
			}
		}
		return n
	}
	t.Cleanup(func() {
		_ = cs.CoreV1().Pods("default").DeleteCollection(context.Background(), metav1.DeleteOptions{},
			metav1.ListOptions{LabelSelector: kexec.LabelRun + "=" + id})
	})
	deadline := time.Now().Add(3 * time.Minute)
	for pods(corev1.PodRunning) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("no step pods running after 3 minutes (%d pods)", pods(""))
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := srv.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = srv.Wait()
	running := pods(corev1.PodRunning)
	t.Logf("server killed with %d step pods running", running)

	srv2 := startServer(t, addr, data, args...)
	r := c.waitTerminal(id, 5*time.Minute)
	if r.State != "SUCCEEDED" {
		t.Fatalf("run %s: %s %+v", id, r.State, r.Error)
	}
	for _, td := range r.RunDetails.TaskDetails {
		if td.State != "SUCCEEDED" {
			t.Errorf("task %s %s", td.TaskID, td.State)
		}
	}
	// 4 squares and the sum: one pod each, none started twice.
	const steps = 5
	if n := pods(""); n != steps {
		t.Errorf("%d pods for %d steps: the restarted server did not re-attach", n, steps)
	}
	// Every step's command ran to success once (the pod's phase may lag its
	// main container's state by a kubelet relist).
	l, err := cs.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: kexec.LabelRun + "=" + id})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range l.Items {
		ok := false
		for _, c := range p.Status.ContainerStatuses {
			ok = ok || c.Name == kexec.ContainerName && c.State.Terminated != nil && c.State.Terminated.ExitCode == 0
		}
		if !ok {
			t.Errorf("pod %s: the step did not succeed: %+v", p.Name, p.Status.ContainerStatuses)
		}
	}
	// The credentials reach the pods through the secret and are never
	// written to the server's output or a step's log.
	secretKey := os.Getenv("AWS_SECRET_ACCESS_KEY")
	for _, td := range r.RunDetails.TaskDetails {
		if td.TaskID != "sum" && !strings.HasSuffix(td.TaskID, "/square") {
			continue
		}
		log := get(t, c.base+"/apis/sluice/v1/runs/"+id+"/logs/"+td.TaskID)
		if secretKey != "" && strings.Contains(log, secretKey) {
			t.Errorf("log of %s holds the secret key", td.TaskID)
		}
	}
	_ = srv2.Process.Kill()
	_ = srv2.Wait()
	for i, cmd := range []*exec.Cmd{srv, srv2} {
		if out := cmd.Stdout.(*bytes.Buffer).String(); secretKey != "" && strings.Contains(out, secretKey) {
			t.Errorf("server %d printed the secret key", i+1)
		}
	}
	// The steps are the pods' processes, not the server's: on this single
	// node they show in /proc, and the restarted server must leave them be.
	if out := srv2.Stdout.(*bytes.Buffer).String(); strings.Contains(out, "killed processes") {
		t.Errorf("the restarted server killed the pods' processes:\n%s", out)
	}
	st, err := store.Open(ctx, filepath.Join(data, "sluice.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	run, err := st.GetRun(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(run.Outputs), `"total":30`) {
		t.Errorf("outputs %s, want total 30 (1+4+9+16)", run.Outputs)
	}
}

// TestClusterTerminateDeletesPods terminates a run whose steps are running
// as pods: the run ends CANCELED and its pods are deleted.
func TestClusterTerminateDeletesPods(t *testing.T) {
	kubeconfig := kubetest.Kubeconfig(t)
	cs := kubetest.Client(t)
	storeURL := artifacttest.ExternalOrInProcess(t, "sluice-cancel", "cancel")
	ctx := context.Background()
	secret := kubetest.S3Secret(t, cs, "default", "sluice-test-cancel-s3")
	addr := freeAddr(t)
	startServer(t, addr, t.TempDir(), "--executor", "kubernetes", "--kubeconfig", kubeconfig, "--namespace", "default",
		"--launcher-image", "docker.io/library/sluice:latest", "--artifacts", storeURL,
		"--artifacts-secret", secret, "--pod-host-network")
	c := &client{t: t, base: "http://" + addr}
	id := c.submit(fanout(3, "300"))
	selector := metav1.ListOptions{LabelSelector: kexec.LabelRun + "=" + id}
	t.Cleanup(func() {
		_ = cs.CoreV1().Pods("default").DeleteCollection(context.Background(), metav1.DeleteOptions{}, selector)
	})
	running := func() int {
		l, err := cs.CoreV1().Pods("default").List(ctx, selector)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, p := range l.Items {
			if p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil {
				n++
			}
		}
		return n
	}
	deadline := time.Now().Add(3 * time.Minute)
	for running() < 2 { // the test server runs 2 steps at a time
		if time.Now().After(deadline) {
			t.Fatal("2 step pods did not run within 3 minutes")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if code := c.do("POST", "/apis/v2beta1/runs/"+id+":terminate", map[string]any{}, nil); code != 200 {
		t.Fatalf("terminate: HTTP %d", code)
	}
	if r := c.waitTerminal(id, 2*time.Minute); r.State != "CANCELED" {
		t.Fatalf("run %s, want CANCELED", r.State)
	}
	// The steps would sleep 5 minutes: their pods are being deleted now.
	l, err := cs.CoreV1().Pods("default").List(ctx, selector)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range l.Items {
		if p.DeletionTimestamp == nil {
			t.Errorf("pod %s of the canceled run is not being deleted (%s)", p.Name, p.Status.Phase)
		}
	}
}

// TestClusterStepResources: on the real cluster, what a step used is
// measured by the launcher in its pod (the container's cgroup) and comes
// back through its outputs record to the task record.
func TestClusterStepResources(t *testing.T) {
	kubeconfig := kubetest.Kubeconfig(t)
	cs := kubetest.Client(t)
	storeURL := artifacttest.ExternalOrInProcess(t, "sluice-resources", "resources")
	secret := kubetest.S3Secret(t, cs, "default", "sluice-test-resources-s3")
	// This checkout's launcher, mounted from the node (one node: this
	// machine), so that the pods run the code under test.
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", bin, "../cmd/sluice-launch")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build sluice-launch: %v\n%s", err, out)
	}
	os.Chmod(bin, 0o755)
	addr := freeAddr(t)
	startServer(t, addr, t.TempDir(), "--executor", "kubernetes", "--kubeconfig", kubeconfig, "--namespace", "default",
		"--launcher-host-path", bin, "--artifacts", storeURL, "--artifacts-secret", secret, "--pod-host-network")
	c := &client{t: t, base: "http://" + addr}
	const n = 200_000_000
	id := c.submit(map[string]any{
		"pipelineInfo": map[string]any{"name": "resources"}, "schemaVersion": "2.1.0",
		"root": map[string]any{"dag": map[string]any{"tasks": map[string]any{
			"hog": map[string]any{"taskInfo": map[string]any{"name": "hog"}, "componentRef": map[string]any{"name": "comp-hog"}}}}},
		"components": map[string]any{"comp-hog": map[string]any{"executorLabel": "exec-hog"}},
		"deploymentSpec": map[string]any{"executors": map[string]any{"exec-hog": map[string]any{"container": map[string]any{
			"image": "python:3.11", "command": []any{"python3", "-c", "import time; b = b'x' * " + strconv.Itoa(n) + "; time.sleep(1)"}}}}},
	})
	t.Cleanup(func() {
		_ = cs.CoreV1().Pods("default").DeleteCollection(context.Background(), metav1.DeleteOptions{},
			metav1.ListOptions{LabelSelector: kexec.LabelRun + "=" + id})
	})
	if r := c.waitTerminal(id, 5*time.Minute); r.State != "SUCCEEDED" {
		t.Fatalf("run %s: %+v", r.State, r.Error)
	}
	var tasks struct {
		Tasks []struct {
			TaskID    string `json:"task_id"`
			Resources *struct {
				CPUSeconds      float64 `json:"cpuSeconds"`
				PeakMemoryBytes int64   `json:"peakMemoryBytes"`
				WallSeconds     float64 `json:"wallSeconds"`
				Method          string  `json:"method"`
			} `json:"resources"`
		} `json:"tasks"`
	}
	if code := c.do("GET", "/apis/sluice/v1/runs/"+id+"/tasks", nil, &tasks); code != 200 {
		t.Fatalf("tasks: HTTP %d", code)
	}
	if len(tasks.Tasks) != 1 || tasks.Tasks[0].Resources == nil {
		t.Fatalf("tasks %+v: no resources", tasks.Tasks)
	}
	u := tasks.Tasks[0].Resources
	t.Logf("in the pod: %+v", *u)
	// The container's peak holds the step's 200 MB and the launcher's own
	// few MiB beside it.
	if !strings.HasPrefix(u.Method, "pod-cgroup") || u.PeakMemoryBytes < n || u.PeakMemoryBytes > n*11/10+64<<20 || u.WallSeconds < 1 || u.CPUSeconds <= 0 {
		t.Fatalf("resources %+v, want the container's cgroup figures with a peak of about %d bytes", *u, n)
	}
}
