package kubernetes

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/sluicehq/sluice/artifact/artifacttest"
	"github.com/sluicehq/sluice/internal/kubetest"
)

// TestClusterServerInCluster runs `sluice server` itself as a pod, the way
// deploy/ installs it: in-cluster configuration from its service account,
// bound to nothing but deploy/rbac.yaml's Role, in a namespace of its own.
// The tutorial submitted through its API runs as step pods under the
// steps' service account and ends with 3.0 in the bucket. So the Role is
// enough, and the in-cluster path works, on a real cluster.
func TestClusterServerInCluster(t *testing.T) {
	cs := realCluster(t)
	ctx := context.Background()
	storeURL := artifacttest.ExternalOrInProcess(t, "sluice-incluster", "incluster")
	var rnd [3]byte
	_, _ = rand.Read(rnd[:])
	ns := "sluice-e2e-" + hex.EncodeToString(rnd[:])
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}) })
	applyRBAC(t, cs, ns)
	secret := kubetest.S3Secret(t, cs, ns, "sluice-s3")
	// The server pod shares the node's network, so the test reaches it on
	// loopback; the local cluster has no service proxy, so the API server's
	// in-cluster address is given as the node's.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	empty := corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "sluice-server", Labels: map[string]string{"app": "sluice"}},
		Spec: corev1.PodSpec{
			ServiceAccountName: "sluice", HostNetwork: true, RestartPolicy: corev1.RestartPolicyNever,
			Containers: []corev1.Container{{
				Name: "server", Image: "docker.io/library/sluice:latest", ImagePullPolicy: corev1.PullNever,
				Command: []string{"/sluice", "server", "--addr", addr, "--data", "/data", "--no-examples",
					"--executor", "kubernetes", "--launcher-image", "docker.io/library/sluice:latest",
					"--artifacts", storeURL, "--artifacts-secret", secret,
					"--step-service-account", "sluice-steps", "--pod-host-network", "--keep-pods", "10m"},
				Env: []corev1.EnvVar{{Name: "KUBERNETES_SERVICE_HOST", Value: "127.0.0.1"}, {Name: "KUBERNETES_SERVICE_PORT", Value: "6443"},
					{Name: "TMPDIR", Value: "/tmp"}},
				EnvFrom:      []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: secret}}}},
				VolumeMounts: []corev1.VolumeMount{{Name: "data", MountPath: "/data"}, {Name: "tmp", MountPath: "/tmp"}},
			}},
			Volumes: []corev1.Volume{{Name: "data", VolumeSource: empty}, {Name: "tmp", VolumeSource: empty}},
		},
	}
	if _, err := cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			if b, err := cs.CoreV1().Pods(ns).GetLogs(pod.Name, &corev1.PodLogOptions{}).DoRaw(context.Background()); err == nil {
				t.Logf("server log:\n%s", b)
			}
		}
		_ = cs.CoreV1().Pods(ns).Delete(context.Background(), pod.Name, metav1.DeleteOptions{GracePeriodSeconds: new(int64)})
	})
	base := "http://" + addr
	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := http.Get(base + "/apis/v2beta1/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			p, _ := cs.CoreV1().Pods(ns).Get(ctx, pod.Name, metav1.GetOptions{})
			t.Fatalf("the server pod did not serve within 2 minutes: %+v", p.Status)
		}
		time.Sleep(300 * time.Millisecond)
	}

	y, err := os.ReadFile("../../examples/tutorial/pipeline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	js, err := yaml.YAMLToJSON(y)
	if err != nil {
		t.Fatal(err)
	}
	var run struct {
		RunID string `json:"run_id"`
		State string `json:"state"`
	}
	body := fmt.Sprintf(`{"display_name": "in-cluster", "pipeline_spec": %s}`, js)
	if code := call(t, "POST", base+"/apis/v2beta1/runs", body, &run); code != 200 {
		t.Fatalf("create run: HTTP %d", code)
	}
	deadline = time.Now().Add(4 * time.Minute)
	for run.State != "SUCCEEDED" {
		if run.State == "FAILED" || run.State == "CANCELED" || time.Now().After(deadline) {
			t.Fatalf("run %s: %s", run.RunID, run.State)
		}
		time.Sleep(500 * time.Millisecond)
		call(t, "GET", base+"/apis/v2beta1/runs/"+run.RunID, "", &run)
	}
	var tasks struct {
		Tasks []struct {
			TaskID  string `json:"task_id"`
			Outputs struct {
				Artifacts map[string][]struct {
					URI string `json:"uri"`
				} `json:"artifacts"`
			} `json:"outputs"`
		} `json:"tasks"`
	}
	call(t, "GET", base+"/apis/sluice/v1/runs/"+run.RunID+"/tasks", "", &tasks)
	var result string
	for _, tk := range tasks.Tasks {
		if tk.TaskID == "save-result" && len(tk.Outputs.Artifacts["result"]) == 1 {
			result = tk.Outputs.Artifacts["result"][0].URI
		}
	}
	var got bytes.Buffer
	if code := call(t, "GET", base+"/apis/sluice/v1/artifacts?uri="+url.QueryEscape(result), "", &got); code != 200 || got.String() != "3.0" {
		t.Errorf("result %s: HTTP %d %q, want 3.0", result, code, got.String())
	}
	// The steps ran as pods of the server's namespace, under the steps'
	// service account, one per step (kept by --keep-pods; the namespace
	// goes at the end).
	pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: LabelRun + "=" + run.RunID})
	if err != nil {
		t.Fatal(err)
	}
	if len(pods.Items) != 3 {
		t.Errorf("%d pods for the tutorial's 3 steps", len(pods.Items))
	}
	for _, p := range pods.Items {
		if p.Spec.ServiceAccountName != "sluice-steps" {
			t.Errorf("pod %s runs as %q", p.Name, p.Spec.ServiceAccountName)
		}
	}
	// Nothing the server asked of the API server was refused.
	logs, err := cs.CoreV1().Pods(ns).GetLogs(pod.Name, &corev1.PodLogOptions{}).DoRaw(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.ToLower(string(logs)), "forbidden") {
		t.Errorf("the server was refused something its Role should grant:\n%s", logs)
	}
}

// applyRBAC creates deploy/rbac.yaml's objects in ns.
func applyRBAC(t *testing.T, cs kubernetes.Interface, ns string) {
	t.Helper()
	ctx := context.Background()
	b, err := os.ReadFile("../../deploy/rbac.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range decodeManifests(t, "deploy/rbac.yaml", b) {
		switch o := m.obj.(type) {
		case *corev1.ServiceAccount:
			_, err = cs.CoreV1().ServiceAccounts(ns).Create(ctx, o, metav1.CreateOptions{})
		case *rbacv1.Role:
			_, err = cs.RbacV1().Roles(ns).Create(ctx, o, metav1.CreateOptions{})
		case *rbacv1.RoleBinding:
			for i := range o.Subjects {
				o.Subjects[i].Namespace = ns
			}
			_, err = cs.RbacV1().RoleBindings(ns).Create(ctx, o, metav1.CreateOptions{})
		default:
			t.Fatalf("deploy/rbac.yaml: unexpected %s", m.kind)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// call sends an HTTP request with a JSON body and decodes a 2xx JSON
// answer into out (or copies it, when out is a *bytes.Buffer).
func call(t *testing.T, method, u, body string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Logf("%s %s: %d %s", method, u, resp.StatusCode, b)
		return resp.StatusCode
	}
	if buf, ok := out.(*bytes.Buffer); ok {
		buf.Write(b)
	} else if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, u, err, b)
		}
	}
	return resp.StatusCode
}
