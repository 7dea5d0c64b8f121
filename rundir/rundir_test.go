package rundir

import "testing"

func TestLayout(t *testing.T) {
	r := Local("/data/artifacts", "tutorial", "run-1")
	task := r.Task("for-loop-2/0/double")
	for got, want := range map[string]string{
		r.Root:                    "/data/artifacts/tutorial/run-1",
		r.Workspace():             "/data/artifacts/tutorial/run-1/.sluice/workspace",
		task.Artifact("out"):      "/data/artifacts/tutorial/run-1/for-loop-2/0/double/out",
		task.ExecutorOutput():     "/data/artifacts/tutorial/run-1/for-loop-2/0/double/executor_output.json",
		task.Log():                "/data/artifacts/tutorial/run-1/.sluice/tasks/for-loop-2/0/double/log.txt",
		task.OutputParam("total"): "/data/artifacts/tutorial/run-1/.sluice/tasks/for-loop-2/0/double/outputs/total",
		task.Work():               "/data/artifacts/tutorial/run-1/.sluice/tasks/for-loop-2/0/double/work",
	} {
		if got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	}
	if !r.TaskURI("t").IsZero() || r.Scratch != "" {
		t.Errorf("a local run has a bucket: %+v", r)
	}

	b := Bucket("s3://bucket/prefix", "/data/scratch", "tutorial", "run-1")
	uri := b.TaskURI("save")
	for got, want := range map[string]string{
		b.URI:                                  "s3://bucket/prefix/tutorial/run-1",
		b.Scratch:                              "/data/scratch/run-1",
		b.Root:                                 "/data/scratch/run-1/s3/bucket/prefix/tutorial/run-1",
		b.Task("save").Log():                   "/data/scratch/run-1/s3/bucket/prefix/tutorial/run-1/.sluice/tasks/save/log.txt",
		uri.Artifact("result"):                 "s3://bucket/prefix/tutorial/run-1/save/result",
		uri.Log():                              "s3://bucket/prefix/tutorial/run-1/.sluice/tasks/save/log.txt",
		uri.OutputsRecord():                    "s3://bucket/prefix/tutorial/run-1/.sluice/tasks/save/outputs.json",
		uri.Mounted().Log():                    "/s3/bucket/prefix/tutorial/run-1/.sluice/tasks/save/log.txt",
		uri.Mounted().Dir:                      "/s3/bucket/prefix/tutorial/run-1/save",
		AtMetaURI("s3://b/m").Mounted().Work(): "/s3/b/m/work",
		AtMetaURI("s3://b/m").OutputsRecord():  "s3://b/m/outputs.json",
	} {
		if got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	}
}
