package kubernetes

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/sluicehq/sluice/executor"
	"github.com/sluicehq/sluice/executor/executortest"
	"github.com/sluicehq/sluice/launch"
	"github.com/sluicehq/sluice/spec"
)

// The fake clientset stands in for the API server on the error paths a
// real cluster cannot be made to take on demand; the behaviour on a real
// cluster is covered by the executor conformance suite there.

type syncBuf = executortest.LogBuf

func newFake(t *testing.T, objs ...runtime.Object) (*Executor, *fake.Clientset) {
	t.Helper()
	cs := fake.NewClientset(objs...)
	e := &Executor{Client: clientset{cs}, Pod: PodOptions{Namespace: "steps", LauncherImage: "sluice:test"}, StoreURL: "s3://b/p"}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return e, cs
}

func testJob(log *syncBuf) *executor.Job {
	return &executor.Job{RunID: "run-1", TaskID: "train", Attempt: 1, Image: "busybox:1.36", Argv: []string{"sh", "-c", "exit 3"}, Log: log, Launch: &launch.Spec{Protocol: launch.Protocol, TaskID: "train"}}
}

// waitPod waits for the job's pod to exist and returns it.
func waitPod(t *testing.T, cs *fake.Clientset) *corev1.Pod {
	t.Helper()
	name := PodName("run-1", "train", 1)
	for i := 0; i < 500; i++ {
		p, err := cs.CoreV1().Pods("steps").Get(context.Background(), name, metav1.GetOptions{})
		if err == nil {
			return p
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the pod was not created")
	return nil
}

func setStatus(t *testing.T, cs *fake.Clientset, p *corev1.Pod, st corev1.PodStatus) {
	t.Helper()
	p = p.DeepCopy()
	p.Status = st
	if _, err := cs.CoreV1().Pods("steps").UpdateStatus(context.Background(), p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

type runResult struct {
	res *executor.Result
	err error
}

func start(e *Executor, ctx context.Context, job *executor.Job) chan runResult {
	ch := make(chan runResult, 1)
	go func() {
		res, err := e.Run(ctx, job)
		ch <- runResult{res, err}
	}()
	return ch
}

func wait(t *testing.T, ch chan runResult) runResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return")
	}
	return runResult{}
}

func TestRunReportsExitCodeStreamsLogAndDeletesPod(t *testing.T) {
	e, cs := newFake(t)
	log := &syncBuf{}
	ch := start(e, context.Background(), testJob(log))
	p := waitPod(t, cs)
	if got := p.Spec.Containers[0].Command[:2]; strings.Join(got, " ") != "/sluice/sluice-launch --" {
		t.Errorf("command %v", got)
	}
	env := map[string]string{}
	for _, v := range p.Spec.Containers[0].Env {
		env[v.Name] = v.Value
	}
	if env["SLUICE_LAUNCH"] != `{"protocol":1,"runId":"","taskId":"train","executorInput":null,"metaUri":""}` || env["SLUICE_ARTIFACTS"] != "s3://b/p" {
		t.Errorf("launcher env %v", env)
	}
	setStatus(t, cs, p, corev1.PodStatus{Phase: corev1.PodRunning})
	setStatus(t, cs, p, corev1.PodStatus{Phase: corev1.PodFailed, ContainerStatuses: []corev1.ContainerStatus{
		{Name: ContainerName, State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 3}}}}})
	r := wait(t, ch)
	if r.err != nil || r.res.ExitCode != 3 {
		t.Fatalf("Run = %+v, %v; want exit 3", r.res, r.err)
	}
	if !strings.Contains(log.String(), "fake logs") {
		t.Errorf("log %q: the pod's log was not streamed", log)
	}
	if _, err := cs.CoreV1().Pods("steps").Get(context.Background(), p.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("finished pod not deleted: %v", err)
	}
}

// The step is over when the main container has terminated: Run returns
// without waiting for the pod's phase, which the kubelet reports later
// (and which may still say Pending then), and the log is read.
func TestMainContainerTerminatedEndsTheStep(t *testing.T) {
	e, cs := newFake(t)
	log := &syncBuf{}
	ch := start(e, context.Background(), testJob(log))
	p := waitPod(t, cs)
	setStatus(t, cs, p, corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{
		{Name: ContainerName, State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}}}})
	select {
	case r := <-ch:
		t.Fatalf("Run returned while the step ran: %+v, %v", r.res, r.err)
	case <-time.After(200 * time.Millisecond):
	}
	setStatus(t, cs, p, corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{
		{Name: ContainerName, State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 4}}}}})
	r := wait(t, ch)
	if r.err != nil || r.res.ExitCode != 4 {
		t.Fatalf("Run = %+v, %v; want exit 4", r.res, r.err)
	}
	if !strings.Contains(log.String(), "fake logs") {
		t.Errorf("log %q: the pod's log was not read", log)
	}
}

func TestCreateFailure(t *testing.T) {
	e, cs := newFake(t)
	cs.PrependReactor("create", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(corev1.Resource("pods"), "x", errors.New("quota exceeded"))
	})
	_, err := e.Run(context.Background(), testJob(&syncBuf{}))
	if err == nil || !strings.Contains(err.Error(), "create pod sluice-run-1-train-") || !strings.Contains(err.Error(), "quota exceeded") {
		t.Fatalf("err %v", err)
	}
}

func TestVanishedPod(t *testing.T) {
	e, cs := newFake(t)
	ch := start(e, context.Background(), testJob(&syncBuf{}))
	p := waitPod(t, cs)
	setStatus(t, cs, p, corev1.PodStatus{Phase: corev1.PodRunning})
	time.Sleep(100 * time.Millisecond)
	if err := cs.CoreV1().Pods("steps").Delete(context.Background(), p.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	r := wait(t, ch)
	if r.err == nil || !strings.Contains(r.err.Error(), "vanished") {
		t.Fatalf("Run = %+v, %v; want a vanished pod error", r.res, r.err)
	}
}

func TestStuckPodFailsWithTheReason(t *testing.T) {
	e, cs := newFake(t)
	ch := start(e, context.Background(), testJob(&syncBuf{}))
	p := waitPod(t, cs)
	setStatus(t, cs, p, corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{
		{Name: ContainerName, State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImageNeverPull", Message: `image "busybox:1.36" is not present`}}}}})
	r := wait(t, ch)
	if r.err == nil || !strings.Contains(r.err.Error(), `cannot start: container main: ErrImageNeverPull: image "busybox:1.36" is not present`) {
		t.Fatalf("err %v", r.err)
	}
}

func TestCancelDeletesThePod(t *testing.T) {
	e, cs := newFake(t)
	ctx, cancel := context.WithCancel(context.Background())
	ch := start(e, ctx, testJob(&syncBuf{}))
	p := waitPod(t, cs)
	cancel()
	r := wait(t, ch)
	if !errors.Is(r.err, executor.ErrCanceled) {
		t.Fatalf("err %v, want ErrCanceled", r.err)
	}
	if _, err := cs.CoreV1().Pods("steps").Get(context.Background(), p.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("canceled pod not deleted: %v", err)
	}
}

// After a restart the server runs the same attempt again; the pod that is
// already there is adopted, not created twice.
func TestAdoptsExistingPod(t *testing.T) {
	pod, err := BuildPod(&Step{RunID: "run-1", TaskID: "train", Attempt: 1, Image: "busybox:1.36", Argv: []string{"true"}}, PodOptions{Namespace: "steps", LauncherImage: "sluice:test"})
	if err != nil {
		t.Fatal(err)
	}
	pod.Status = corev1.PodStatus{Phase: corev1.PodSucceeded, ContainerStatuses: []corev1.ContainerStatus{
		{Name: ContainerName, State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0}}}}}
	e, cs := newFake(t, pod)
	creates := 0
	cs.PrependReactor("create", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		creates++
		return false, nil, nil
	})
	r := wait(t, start(e, context.Background(), testJob(&syncBuf{})))
	if r.err != nil || r.res.ExitCode != 0 {
		t.Fatalf("Run = %+v, %v", r.res, r.err)
	}
	if n := len(cs.Actions()); n == 0 || creates != 1 {
		t.Errorf("creates %d", creates)
	}
}

// The job's resources and platform settings (parameters resolved by the
// engine's resolver) reach the pod.
func TestJobSettingsReachThePod(t *testing.T) {
	e, cs := newFake(t)
	job := testJob(&syncBuf{})
	job.Resources = executor.Resources{CPULimit: "2", MemoryRequest: "1Gi"}
	job.Platform = map[string]any{"secretAsEnv": []any{map[string]any{
		"secretNameParameter": map[string]any{"componentInputParameter": "secret"},
		"keyToEnv":            []any{map[string]any{"secretKey": "password", "envVar": "PASSWORD"}},
	}}}
	job.Params = executor.ParamResolverFunc(func(p *spec.InputParameter) (any, error) { return "db-" + p.ComponentInputParameter, nil })
	ctx, cancel := context.WithCancel(context.Background())
	ch := start(e, ctx, job)
	p := waitPod(t, cs)
	cancel()
	wait(t, ch)
	c := p.Spec.Containers[0]
	if c.Resources.Limits.Cpu().String() != "2" || c.Resources.Requests.Memory().String() != "1Gi" {
		t.Errorf("resources %+v", c.Resources)
	}
	found := false
	for _, v := range c.Env {
		if v.Name == "PASSWORD" && v.ValueFrom != nil && v.ValueFrom.SecretKeyRef.Name == "db-secret" {
			found = true
		}
	}
	if !found {
		t.Errorf("secret env not in the pod: %+v", c.Env)
	}
	// A bad setting is an error naming it, and no pod is made.
	job2 := testJob(&syncBuf{})
	job2.TaskID = "other"
	job2.Platform = map[string]any{"pvcMount": []any{map[string]any{"mountPath": "/d", "pvcNameParameter": map[string]any{"componentInputParameter": "x"}}}}
	job2.Params = executor.ParamResolverFunc(func(*spec.InputParameter) (any, error) { return nil, nil })
	if _, err := e.Run(context.Background(), job2); err == nil || !strings.Contains(err.Error(), "kubernetes settings: pvcMount[0].pvcNameParameter: the name has no value") {
		t.Errorf("err %v", err)
	}
}

func TestPendingTooLongFails(t *testing.T) {
	e, cs := newFake(t)
	e.StartTimeout = 200 * time.Millisecond
	ch := start(e, context.Background(), testJob(&syncBuf{}))
	p := waitPod(t, cs)
	setStatus(t, cs, p, corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{
		{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable", Message: "0/1 nodes are available"}}})
	r := wait(t, ch)
	if r.err == nil || !strings.Contains(r.err.Error(), "did not start within 200ms: Unschedulable: 0/1 nodes are available") {
		t.Fatalf("err %v", r.err)
	}
}

// A pending pod's Warning events reach the step's log as they come, and the
// newest one says why in the start timeout's error.
func TestPendingPodWarningsReachTheLog(t *testing.T) {
	defer func(q time.Duration) { pendingQuiet = q }(pendingQuiet)
	pendingQuiet = 0
	e, cs := newFake(t)
	e.StartTimeout = 3 * time.Second
	log := &syncBuf{}
	ch := start(e, context.Background(), testJob(log))
	p := waitPod(t, cs)
	ev := func(name, reason, msg string, at time.Time) {
		t.Helper()
		_, err := cs.CoreV1().Events("steps").Create(context.Background(), &corev1.Event{
			ObjectMeta:     metav1.ObjectMeta{Name: name, Namespace: "steps"},
			InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: p.Name, Namespace: "steps"},
			Type:           corev1.EventTypeWarning, Reason: reason, Message: msg, Count: 1,
			LastTimestamp: metav1.NewTime(at),
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	ev("e1", "FailedScheduling", "0/1 nodes are available: 1 Insufficient cpu.", now)
	// Another pod's event is not this step's business.
	_, _ = cs.CoreV1().Events("steps").Create(context.Background(), &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: "steps"},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "someone-else"}, Type: corev1.EventTypeWarning, Reason: "Other", Message: "not ours"}, metav1.CreateOptions{})
	setStatus(t, cs, p, corev1.PodStatus{Phase: corev1.PodPending})
	for i := 0; i < 100 && !strings.Contains(log.String(), "Insufficient cpu"); i++ {
		time.Sleep(20 * time.Millisecond)
	}
	ev("e2", "FailedMount", `MountVolume.SetUp failed for volume "sluice-launcher": hostPath type check failed`, now.Add(time.Second))
	r := wait(t, ch)
	if r.err == nil || !strings.Contains(r.err.Error(), `did not start within 3s: FailedMount: MountVolume.SetUp failed for volume "sluice-launcher"`) {
		t.Errorf("err %v", r.err)
	}
	got := log.String()
	for _, want := range []string{"sluice: pod " + p.Name + ": FailedScheduling: 0/1 nodes are available: 1 Insufficient cpu.\n", "FailedMount: MountVolume.SetUp failed"} {
		if !strings.Contains(got, want) {
			t.Errorf("log %q lacks %q", got, want)
		}
	}
	if strings.Contains(got, "not ours") || strings.Count(got, "Insufficient cpu") != 1 {
		t.Errorf("log %q: another pod's event, or one reported twice", got)
	}
}

// A pod that starts within pendingQuiet keeps its log to itself, though
// the cluster warned about it (this machine's kubelet warns about every pod).
func TestEarlyWarningsStayOutOfTheLog(t *testing.T) {
	e, cs := newFake(t)
	log := &syncBuf{}
	ch := start(e, context.Background(), testJob(log))
	p := waitPod(t, cs)
	_, err := cs.CoreV1().Events("steps").Create(context.Background(), &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: "dns", Namespace: "steps"},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: p.Name, Namespace: "steps"},
		Type:           corev1.EventTypeWarning, Reason: "MissingClusterDNS", Message: "kubelet does not have ClusterDNS IP configured", Count: 1,
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	setStatus(t, cs, p, corev1.PodStatus{Phase: corev1.PodPending})
	time.Sleep(100 * time.Millisecond)
	setStatus(t, cs, p, corev1.PodStatus{Phase: corev1.PodSucceeded, ContainerStatuses: []corev1.ContainerStatus{
		{Name: ContainerName, State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0}}}}})
	if r := wait(t, ch); r.err != nil {
		t.Fatal(r.err)
	}
	if strings.Contains(log.String(), "MissingClusterDNS") {
		t.Errorf("log %q holds a warning of a pod that started at once", log)
	}
}
