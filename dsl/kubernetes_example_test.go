package dsl_test

import (
	"fmt"
	"strings"

	"github.com/sluicehq/sluice/dsl"
)

// Kubernetes settings of a task: a secret named by a pipeline parameter,
// read into environment variables, a PVC and a node selector. They make the
// second YAML document, keyed by the task's executor label.
func ExampleTask_UseSecretAsEnv() {
	train := &dsl.Container{Name: "train", Image: "python:3.11", Command: []string{"python3", "train.py"}}
	p := dsl.NewPipeline("train")
	creds := p.StringParam("credentials", "s3-credentials")
	p.Task(train, nil).
		UseSecretAsEnv(creds, map[string]string{"access_key": "AWS_ACCESS_KEY_ID", "secret_key": "AWS_SECRET_ACCESS_KEY"}).
		MountPVC("datasets", "/data").
		AddNodeSelector("cloud.google.com/gke-accelerator", "nvidia-l4")

	y, err := p.YAML()
	if err != nil {
		fmt.Println(err)
		return
	}
	_, platform, _ := strings.Cut(string(y), "\n---\n")
	fmt.Print(platform)
	// Output:
	// platforms:
	//   kubernetes:
	//     deploymentSpec:
	//       executors:
	//         exec-train:
	//           nodeSelector:
	//             labels:
	//               cloud.google.com/gke-accelerator: nvidia-l4
	//           pvcMount:
	//           - constant: datasets
	//             mountPath: /data
	//             pvcNameParameter:
	//               runtimeValue:
	//                 constant: datasets
	//           secretAsEnv:
	//           - keyToEnv:
	//             - envVar: AWS_ACCESS_KEY_ID
	//               secretKey: access_key
	//             - envVar: AWS_SECRET_ACCESS_KEY
	//               secretKey: secret_key
	//             optional: false
	//             secretNameParameter:
	//               componentInputParameter: credentials
}
