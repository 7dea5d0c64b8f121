package kubernetes

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
)

// The manifests in deploy/ decode into the Kubernetes types without
// unknown fields, and the server's permissions are the least it needs.
func TestDeployManifests(t *testing.T) {
	files, err := filepath.Glob("../../deploy/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	options, _ := filepath.Glob("../../deploy/options/*.yaml")
	files = append(files, options...)
	kinds := map[string]int{}
	for _, f := range files {
		if strings.HasSuffix(f, "kustomization.yaml") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range decodeManifests(t, f, b) {
			kinds[m.kind]++
			obj := m.obj
			if r, ok := obj.(*rbacv1.Role); ok {
				for _, rule := range r.Rules {
					for _, res := range rule.Resources {
						if res != "pods" && res != "pods/log" && res != "events" {
							t.Errorf("the server's role grants %s: more than it needs", res)
						}
					}
				}
			}
			if d, ok := obj.(*appsv1.Deployment); ok {
				args := strings.Join(d.Spec.Template.Spec.Containers[0].Args, " ")
				for _, want := range []string{"--executor=kubernetes", "--artifacts=s3://", "--launcher-image=", "--artifacts-secret="} {
					if !strings.Contains(args, want) {
						t.Errorf("server args %q lack %s", args, want)
					}
				}
			}
		}
	}
	if kinds["ClusterRole"] > 0 || kinds["ClusterRoleBinding"] > 0 || kinds["Role"] != 1 || kinds["Deployment"] != 1 || kinds["DaemonSet"] != 1 {
		t.Errorf("kinds %v", kinds)
	}
}

type manifest struct {
	kind string
	obj  any // a typed object, nil for an unexpected kind
}

// decodeManifests decodes the YAML documents of file (its content b) into
// the Kubernetes types, refusing unknown fields.
func decodeManifests(t *testing.T, file string, b []byte) []manifest {
	t.Helper()
	var out []manifest
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var doc map[string]any
		if err := dec.Decode(&doc); err != nil {
			break
		}
		kind, _ := doc["kind"].(string)
		js, _ := json.Marshal(doc)
		var obj any
		switch kind {
		case "Namespace":
			obj = &corev1.Namespace{}
		case "ServiceAccount":
			obj = &corev1.ServiceAccount{}
		case "Secret":
			obj = &corev1.Secret{}
		case "Service":
			obj = &corev1.Service{}
		case "Deployment":
			obj = &appsv1.Deployment{}
		case "StatefulSet":
			obj = &appsv1.StatefulSet{}
		case "DaemonSet":
			obj = &appsv1.DaemonSet{}
		case "Role":
			obj = &rbacv1.Role{}
		case "RoleBinding":
			obj = &rbacv1.RoleBinding{}
		default:
			t.Errorf("%s: unexpected kind %q", file, kind)
			out = append(out, manifest{kind: kind})
			continue
		}
		d := json.NewDecoder(bytes.NewReader(js))
		d.DisallowUnknownFields()
		if err := d.Decode(obj); err != nil {
			t.Errorf("%s: %s: %v", file, kind, err)
		}
		out = append(out, manifest{kind: kind, obj: obj})
	}
	return out
}
