package wire

import (
	"encoding/json"
	"time"
)

// The Argo Workflow (argoproj.io/v1alpha1) that a v1beta1 run's
// pipeline_runtime.workflow_manifest holds: the fields kfp 1.x's client,
// KFP's v1 UI and users' scripts read, chiefly status.nodes.

// ArgoTime is a Kubernetes metav1.Time: RFC 3339 in UTC to the second, or
// null when unset.
type ArgoTime struct{ time.Time }

// MarshalJSON writes the time as Kubernetes does.
func (t ArgoTime) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + t.UTC().Format(time.RFC3339) + `"`), nil
}

// UnmarshalJSON reads RFC 3339 or null.
func (t *ArgoTime) UnmarshalJSON(b []byte) error {
	var ts Timestamp
	if err := ts.UnmarshalJSON(b); err != nil {
		return err
	}
	t.Time = ts.Time
	return nil
}

// Workflow is an Argo Workflow object.
type Workflow struct {
	APIVersion string          `json:"apiVersion"`
	Kind       string          `json:"kind"`
	Metadata   ObjectMeta      `json:"metadata"`
	Spec       json.RawMessage `json:"spec"`
	Status     WorkflowStatus  `json:"status"`
}

// ObjectMeta is the metadata of a Kubernetes object.
type ObjectMeta struct {
	Name              string            `json:"name"`
	GenerateName      string            `json:"generateName,omitempty"`
	Namespace         string            `json:"namespace,omitempty"`
	UID               string            `json:"uid,omitempty"`
	CreationTimestamp ArgoTime          `json:"creationTimestamp"`
	Labels            map[string]string `json:"labels,omitempty"`
	Annotations       map[string]string `json:"annotations,omitempty"`
}

// WorkflowStatus is a workflow's phase and node tree.
type WorkflowStatus struct {
	Phase                 string                 `json:"phase,omitempty"`
	StartedAt             ArgoTime               `json:"startedAt"`
	FinishedAt            ArgoTime               `json:"finishedAt"`
	Message               string                 `json:"message,omitempty"`
	Progress              string                 `json:"progress,omitempty"`
	Nodes                 map[string]*NodeStatus `json:"nodes,omitempty"`
	ArtifactRepositoryRef *ArtifactRepositoryRef `json:"artifactRepositoryRef,omitempty"`
}

// ArtifactRepositoryRef says where node artifacts' keys are.
type ArtifactRepositoryRef struct {
	ArtifactRepository ArtifactRepository `json:"artifactRepository"`
}

// ArtifactRepository is an S3-compatible bucket.
type ArtifactRepository struct {
	S3 *S3Artifact `json:"s3,omitempty"`
}

// S3Artifact locates an artifact (Key) or a repository (Bucket, Endpoint).
type S3Artifact struct {
	Bucket   string `json:"bucket,omitempty"`
	Endpoint string `json:"endpoint,omitempty"`
	Insecure bool   `json:"insecure,omitempty"`
	Key      string `json:"key,omitempty"`
}

// NodeStatus is one node of a workflow: a step (Pod), a DAG, a loop's
// fan-out (TaskGroup), a retried step (Retry), or a node that did not run
// (Skipped).
type NodeStatus struct {
	ID            string   `json:"id"`
	Name          string   `json:"name"`
	DisplayName   string   `json:"displayName"`
	Type          string   `json:"type"`
	TemplateName  string   `json:"templateName,omitempty"`
	Phase         string   `json:"phase"`
	BoundaryID    string   `json:"boundaryID,omitempty"`
	Message       string   `json:"message,omitempty"`
	StartedAt     ArgoTime `json:"startedAt"`
	FinishedAt    ArgoTime `json:"finishedAt"`
	Inputs        *NodeIO  `json:"inputs,omitempty"`
	Outputs       *NodeIO  `json:"outputs,omitempty"`
	Children      []string `json:"children,omitempty"`
	OutboundNodes []string `json:"outboundNodes,omitempty"`
}

// NodeIO is a node's inputs or outputs.
type NodeIO struct {
	Parameters []NodeParameter `json:"parameters,omitempty"`
	Artifacts  []NodeArtifact  `json:"artifacts,omitempty"`
	ExitCode   string          `json:"exitCode,omitempty"`
}

// NodeParameter is a parameter value of a node.
type NodeParameter struct {
	Name      string     `json:"name"`
	Value     *string    `json:"value,omitempty"`
	ValueFrom *ValueFrom `json:"valueFrom,omitempty"`
}

// ValueFrom says where an output parameter was read.
type ValueFrom struct {
	Path string `json:"path,omitempty"`
}

// NodeArtifact is an artifact of a node. S3.Key is relative to the
// workflow's artifact repository; URI is where Sluice keeps it.
type NodeArtifact struct {
	Name string      `json:"name"`
	Path string      `json:"path,omitempty"`
	S3   *S3Artifact `json:"s3,omitempty"`
	URI  string      `json:"uri,omitempty"`
}
