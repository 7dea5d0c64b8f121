package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	listersv1 "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/sluicehq/sluice/archetype"
	"github.com/sluicehq/sluice/executor"
	"github.com/sluicehq/sluice/launch"
	"github.com/sluicehq/sluice/spec"
)

// Executor runs each step as one pod. The pod's main container runs the
// step's image with `sluice launch` (copied in by an init container) around
// its command; the launcher stages artifacts through the artifact store.
// Pods are watched with a shared informer, not polled.
type Executor struct {
	// Client reaches the cluster (NewClient).
	Client Client
	// Pod holds the cluster-wide pod settings; Pod.Namespace is where step
	// pods run.
	Pod PodOptions
	// StoreURL is the artifact store URL given to the launcher
	// (SLUICE_ARTIFACTS); credentials come from Pod.EnvFromSecret.
	StoreURL string
	// KeepFinished is how long a finished pod is kept before it is deleted
	// (0: as soon as its logs are read). Logs stay in the artifact store.
	KeepFinished time.Duration
	// StartTimeout fails a pod still pending after this long (default 10
	// minutes): a sandbox that cannot be made, an unschedulable pod.
	StartTimeout time.Duration
	// Archetype gives the executor its logger.
	archetype.Archetype

	mu      sync.Mutex
	lister  listersv1.PodLister
	waiters map[string]chan struct{}
}

var (
	_ executor.Executor       = (*Executor)(nil)
	_ executor.RemoteLauncher = (*Executor)(nil)
)

// LaunchesRemotely is true: steps run under `sluice launch` in their pods.
func (e *Executor) LaunchesRemotely() bool { return true }

// Start starts the pod informer (pods labelled as Sluice's in the
// namespace) and waits for its cache to fill. It stops when ctx ends.
func (e *Executor) Start(ctx context.Context) error {
	ns, sel := e.Pod.Namespace, LabelManagedBy+"="+ManagedBy
	inf := cache.NewSharedIndexInformer(&cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.LabelSelector = sel
			return e.Client.ListPods(ctx, ns, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.LabelSelector = sel
			return e.Client.WatchPods(ctx, ns, o)
		},
	}, &corev1.Pod{}, 0, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	notify := func(obj any) {
		if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = t.Obj
		}
		if p, ok := obj.(*corev1.Pod); ok {
			e.notify(p.Name)
		}
	}
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    notify,
		UpdateFunc: func(_, n any) { notify(n) },
		DeleteFunc: notify,
	}); err != nil {
		return err
	}
	e.mu.Lock()
	e.lister = listersv1.NewPodLister(inf.GetIndexer())
	if e.waiters == nil {
		e.waiters = map[string]chan struct{}{}
	}
	e.mu.Unlock()
	go inf.RunWithContext(ctx)
	if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
		return fmt.Errorf("kubernetes: the pod informer did not sync: %w", ctx.Err())
	}
	return nil
}

func (e *Executor) notify(name string) {
	e.mu.Lock()
	ch := e.waiters[name]
	e.mu.Unlock()
	if ch != nil {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

func (e *Executor) watch(name string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	e.mu.Lock()
	e.waiters[name] = ch
	e.mu.Unlock()
	return ch, func() {
		e.mu.Lock()
		delete(e.waiters, name)
		e.mu.Unlock()
	}
}

// Run creates the job's pod — or adopts it when a pod of the same run,
// task and attempt already exists (the server restarted while it ran) —
// streams its log to job.Log and waits for it to end.
func (e *Executor) Run(ctx context.Context, job *executor.Job) (*executor.Result, error) {
	if len(job.Argv) == 0 {
		return nil, errors.New("empty command line")
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", executor.ErrCanceled, err)
	}
	e.mu.Lock()
	lister := e.lister
	e.mu.Unlock()
	if lister == nil {
		return nil, errors.New("kubernetes executor: Start was not called")
	}
	attempt := job.Attempt
	if attempt < 1 {
		attempt = 1
	}
	o := e.Pod
	direct := job.Launch == nil // a plain command: nothing to stage
	if !direct {
		ls, err := job.Launch.Encode()
		if err != nil {
			return nil, err
		}
		o.LaunchEnv = append(append([]string(nil), o.LaunchEnv...), launch.EnvSpec+"="+ls, launch.EnvArtifacts+"="+e.StoreURL)
	}
	step := &Step{RunID: job.RunID, TaskID: job.TaskID, Attempt: attempt, Image: job.Image, Argv: job.Argv, Env: job.Env,
		CPURequest: job.Resources.CPURequest, CPULimit: job.Resources.CPULimit,
		MemoryRequest: job.Resources.MemoryRequest, MemoryLimit: job.Resources.MemoryLimit,
		AcceleratorType: job.Resources.AcceleratorType, AcceleratorCount: job.Resources.AcceleratorCount, Direct: direct}
	if len(job.Platform) > 0 {
		c, err := ParseExecutorConfig(job.Platform)
		if err != nil {
			return nil, err
		}
		resolve := func(*spec.InputParameter) (any, error) { return nil, nil }
		if job.Params != nil {
			resolve = job.Params.ResolveParam
		}
		if step.Settings, err = c.Resolve(resolve); err != nil {
			return nil, fmt.Errorf("kubernetes settings: %w", err)
		}
	}
	pod, err := BuildPod(step, o)
	if err != nil {
		return nil, err
	}
	changed, stop := e.watch(pod.Name)
	defer stop()
	if _, err := e.Client.CreatePod(ctx, o.Namespace, pod); err != nil {
		if !apierrors.IsAlreadyExists(err) {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("%w: %v", executor.ErrCanceled, ctx.Err())
			}
			return nil, fmt.Errorf("create pod %s: %w", pod.Name, err)
		}
		e.Log().Info("adopting running pod", "pod", pod.Name)
	}
	logs := e.streamLogs(pod.Name, job.Log)
	defer logs.stop()
	warnings := &podWarnings{e: e, pod: pod.Name, w: job.Log, seen: map[string]bool{}, next: time.Now().Add(pendingQuiet)}
	seen := false
	startBy := time.Now().Add(e.startTimeout())
	for {
		select {
		case <-ctx.Done():
			e.deletePod(pod.Name)
			return nil, fmt.Errorf("%w: %v", executor.ErrCanceled, ctx.Err())
		case <-changed:
		case <-time.After(5 * time.Second): // also look now and then, in case an event was coalesced
		}
		cur, err := lister.Pods(o.Namespace).Get(pod.Name)
		if apierrors.IsNotFound(err) {
			if !seen {
				continue // not in the cache yet
			}
			return nil, fmt.Errorf("pod %s vanished before it finished", pod.Name)
		}
		if err != nil {
			return nil, err
		}
		seen = true
		if cur.Status.Phase != corev1.PodPending || mainStarted(cur) {
			logs.begin(ctx)
		}
		if reason := stuck(cur); reason != "" {
			e.deletePod(pod.Name)
			return nil, fmt.Errorf("pod %s cannot start: %s", pod.Name, reason)
		}
		if cur.Status.Phase == corev1.PodPending && !mainStarted(cur) {
			warnings.check(ctx)
		}
		if cur.Status.Phase == corev1.PodPending && time.Now().After(startBy) {
			warnings.next = time.Time{}
			warnings.check(ctx)
			e.deletePod(pod.Name)
			reason := pendingReason(cur)
			if warnings.last != "" {
				reason = ": " + warnings.last
			}
			return nil, fmt.Errorf("pod %s did not start within %s%s", pod.Name, e.startTimeout(), reason)
		}
		if !done(cur) {
			continue
		}
		logs.wait(10 * time.Second)
		code, err := exitCode(cur)
		e.finished(pod.Name)
		if err != nil {
			return nil, err
		}
		return &executor.Result{ExitCode: code}, nil
	}
}

func (e *Executor) startTimeout() time.Duration {
	if e.StartTimeout > 0 {
		return e.StartTimeout
	}
	return 10 * time.Minute
}

// pendingQuiet is how long a pod may be pending before its Warning events
// go to the step's log: a pod that starts soon keeps its log to itself
// (some clusters warn about every pod, e.g. MissingClusterDNS).
var pendingQuiet = 10 * time.Second

// podWarnings reports the Warning events of a pod pending for a while
// (failed scheduling, a volume that cannot be mounted, ...) to the step's
// log as they come, so that a step that waits says why.
type podWarnings struct {
	e        *Executor
	pod      string
	w        io.Writer
	seen     map[string]bool
	last     string // the newest, for the start timeout's error
	next     time.Time
	disabled bool // events cannot be listed (no permission): stay quiet
}

func (p *podWarnings) check(ctx context.Context) {
	if p.disabled || time.Now().Before(p.next) {
		return
	}
	p.next = time.Now().Add(2 * time.Second)
	l, err := p.e.Client.ListEvents(ctx, p.e.Pod.Namespace, metav1.ListOptions{
		FieldSelector: "involvedObject.kind=Pod,involvedObject.name=" + p.pod + ",type=" + corev1.EventTypeWarning})
	if err != nil {
		p.disabled = ctx.Err() == nil
		return
	}
	evs := l.Items
	sort.SliceStable(evs, func(i, j int) bool { return eventTime(&evs[i]).Before(eventTime(&evs[j])) })
	for i := range evs {
		ev := &evs[i]
		if ev.InvolvedObject.Name != p.pod || ev.Type != corev1.EventTypeWarning {
			continue
		}
		msg := ev.Reason + ": " + strings.TrimSpace(ev.Message)
		p.last = msg
		if key := ev.Name + "/" + strconv.Itoa(int(ev.Count)); !p.seen[key] {
			p.seen[key] = true
			if p.w != nil {
				fmt.Fprintf(p.w, "sluice: pod %s: %s\n", p.pod, msg)
			}
		}
	}
}

func eventTime(ev *corev1.Event) time.Time {
	switch {
	case !ev.LastTimestamp.IsZero():
		return ev.LastTimestamp.Time
	case !ev.EventTime.IsZero():
		return ev.EventTime.Time
	}
	return ev.CreationTimestamp.Time
}

// pendingReason words what a pending pod's conditions say, if anything.
func pendingReason(p *corev1.Pod) string {
	for _, c := range p.Status.Conditions {
		if c.Status != corev1.ConditionTrue && c.Message != "" {
			return fmt.Sprintf(": %s: %s", c.Reason, c.Message)
		}
	}
	return ""
}

// stuck reports why a pending pod will not start without help (a missing
// image, a bad config reference), or "".
func stuck(p *corev1.Pod) string {
	if p.Status.Phase != corev1.PodPending {
		return ""
	}
	for _, cs := range append(append([]corev1.ContainerStatus(nil), p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
		if w := cs.State.Waiting; w != nil {
			switch w.Reason {
			case "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull", "CreateContainerConfigError", "CreateContainerError":
				return fmt.Sprintf("container %s: %s: %s", cs.Name, w.Reason, w.Message)
			}
		}
	}
	return ""
}

// done reports whether the pod's step is over: the pod ended, or its main
// container terminated. The pod never restarts a container, so the second
// is final too, and the kubelet reports it about a second (one relist)
// before the pod's phase, which may still say Pending then.
func done(p *corev1.Pod) bool {
	if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
		return true
	}
	m := mainStatus(p)
	return m != nil && m.State.Terminated != nil
}

// mainStarted reports whether the main container has started (its log can
// be read).
func mainStarted(p *corev1.Pod) bool {
	m := mainStatus(p)
	return m != nil && (m.State.Running != nil || m.State.Terminated != nil)
}

func mainStatus(p *corev1.Pod) *corev1.ContainerStatus {
	for i := range p.Status.ContainerStatuses {
		if p.Status.ContainerStatuses[i].Name == ContainerName {
			return &p.Status.ContainerStatuses[i]
		}
	}
	return nil
}

// exitCode is the main container's exit code, or an error saying why the
// pod failed without one (deadline exceeded, evicted, init failure).
func exitCode(p *corev1.Pod) (int, error) {
	for _, cs := range p.Status.InitContainerStatuses {
		if t := cs.State.Terminated; t != nil && t.ExitCode != 0 {
			return 0, fmt.Errorf("pod %s: init container %s failed (%s, exit code %d): %s", p.Name, cs.Name, t.Reason, t.ExitCode, t.Message)
		}
	}
	if m := mainStatus(p); m != nil && m.State.Terminated != nil {
		return int(m.State.Terminated.ExitCode), nil
	}
	if p.Status.Phase == corev1.PodSucceeded {
		return 0, nil
	}
	reason := p.Status.Reason
	if reason == "" {
		reason = "Failed"
	}
	return 0, fmt.Errorf("pod %s failed: %s: %s", p.Name, reason, p.Status.Message)
}

// finished removes a finished pod now, or after KeepFinished.
func (e *Executor) finished(name string) {
	if e.KeepFinished <= 0 {
		e.deletePod(name)
		return
	}
	time.AfterFunc(e.KeepFinished, func() { e.deletePod(name) })
}

func (e *Executor) deletePod(name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := e.Client.DeletePod(ctx, e.Pod.Namespace, name)
	if err != nil && !apierrors.IsNotFound(err) {
		e.Log().Warn("delete pod", "pod", name, "err", err)
	}
}

// DeleteRun deletes every pod of a run (after a cancel or when the server
// gives a run up).
func (e *Executor) DeleteRun(ctx context.Context, runID string) error {
	sel := labels.SelectorFromSet(labels.Set{LabelManagedBy: ManagedBy, LabelRun: labelValue(runID)})
	return e.Client.DeletePods(ctx, e.Pod.Namespace, metav1.ListOptions{LabelSelector: sel.String()})
}

// logStream copies the main container's log to a writer once the pod runs.
type logStream struct {
	e      *Executor
	pod    string
	w      io.Writer
	once   sync.Once
	cancel context.CancelFunc
	done   chan struct{}
}

func (e *Executor) streamLogs(pod string, w io.Writer) *logStream {
	return &logStream{e: e, pod: pod, w: w, done: make(chan struct{})}
}

func (l *logStream) begin(parent context.Context) {
	l.once.Do(func() {
		ctx, cancel := context.WithCancel(context.WithoutCancel(parent))
		l.cancel = cancel
		go func() {
			defer close(l.done)
			rc, err := l.e.Client.PodLogs(ctx, l.e.Pod.Namespace, l.pod, &corev1.PodLogOptions{Container: ContainerName, Follow: true})
			if err != nil {
				if l.w != nil {
					fmt.Fprintf(l.w, "sluice: cannot read the log of pod %s: %v\n", l.pod, err)
				}
				return
			}
			defer rc.Close()
			if l.w != nil {
				io.Copy(l.w, rc)
			}
		}()
	})
}

// wait lets the stream drain for at most d after the pod ended.
func (l *logStream) wait(d time.Duration) {
	if l.cancel == nil {
		return
	}
	select {
	case <-l.done:
	case <-time.After(d):
	}
}

func (l *logStream) stop() {
	if l.cancel != nil {
		l.cancel()
		<-l.done
	}
}
