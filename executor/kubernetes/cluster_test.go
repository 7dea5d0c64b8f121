package kubernetes

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/sluicehq/sluice/executor"
	"github.com/sluicehq/sluice/executor/executortest"
	"github.com/sluicehq/sluice/internal/kubetest"
	"github.com/sluicehq/sluice/launch"
)

// Integration tests against a real cluster (internal/kubetest): the
// clientset sets up and inspects, the executor speaks through NewClient.
func realCluster(t *testing.T) kubernetes.Interface { return kubetest.Client(t) }

func realClient(t *testing.T) Client {
	t.Helper()
	c, err := NewClient(kubetest.Config(t))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The executor conformance suite, on pods: plain jobs in the busybox image.
func TestClusterConformance(t *testing.T) {
	c := realClient(t)
	executortest.Run(t, executortest.Config{
		New: func(t *testing.T) executor.Executor {
			e := &Executor{Client: c, Pod: PodOptions{Namespace: "default", ImagePullPolicy: "Never"}, StartTimeout: 90 * time.Second}
			ctx, cancel := context.WithCancel(context.Background())
			t.Cleanup(cancel)
			if err := e.Start(ctx); err != nil {
				t.Fatal(err)
			}
			return e
		},
		Image:   "docker.io/library/busybox:1.36",
		Dir:     func(t *testing.T) string { return "" },
		Timeout: 2 * time.Minute,
	})
}

// A server that restarts while a step's pod runs finds the pod (same run,
// task and attempt) and adopts it: no second pod, the first one's log and
// exit code.
func TestClusterAdoptsRunningPod(t *testing.T) {
	cs := realCluster(t)
	opts := PodOptions{Namespace: "default", ImagePullPolicy: "Never"}
	step := &Step{RunID: "adopt-" + time.Now().Format("150405"), TaskID: "slow", Attempt: 1, Image: "docker.io/library/busybox:1.36",
		Argv: []string{"sh", "-c", "sleep 3; echo adopted; exit 4"}, Direct: true}
	pod, err := BuildPod(step, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// The pod a previous server process started.
	if _, err := cs.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	e := &Executor{Client: realClient(t), Pod: opts, StartTimeout: 90 * time.Second}
	ictx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := e.Start(ictx); err != nil {
		t.Fatal(err)
	}
	log := &syncBuf{}
	res, err := e.Run(ctx, &executor.Job{RunID: step.RunID, TaskID: step.TaskID, Attempt: 1, Image: step.Image, Argv: step.Argv, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 4 || !strings.Contains(log.String(), "adopted") {
		t.Errorf("exit %d, log %q; want the adopted pod's 4 and its log", res.ExitCode, log)
	}
	l, err := cs.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: LabelRun + "=" + step.RunID})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range l.Items {
		if p.Name != pod.Name || p.DeletionTimestamp == nil {
			t.Errorf("pod %s left (the adopted pod is deleted when done, none other made)", p.Name)
		}
	}
}

// A pod that cannot start because a volume cannot be mounted (here the
// launcher directory is missing on the node) says so in the step's log
// while it waits, and in the error when its start timeout ends.
func TestClusterPendingPodSaysWhy(t *testing.T) {
	e := &Executor{Client: realClient(t), StoreURL: "s3://unused/x",
		Pod:          PodOptions{Namespace: "default", ImagePullPolicy: "Never", LauncherHostPath: "/nonexistent/sluice-launcher"},
		StartTimeout: 20 * time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	log := &syncBuf{}
	_, err := e.Run(ctx, &executor.Job{RunID: "pending-" + time.Now().Format("150405"), TaskID: "t", Attempt: 1,
		Image: "docker.io/library/busybox:1.36", Argv: []string{"true"}, Log: log, Launch: &launch.Spec{}})
	if err == nil || !strings.Contains(err.Error(), "did not start within 20s: FailedMount:") {
		t.Fatalf("err %v", err)
	}
	if !strings.Contains(log.String(), "FailedMount: MountVolume.SetUp failed") {
		t.Errorf("log %q: the mount failure was not reported while waiting", log)
	}
}
