package dsl

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func mainPipeline(ok bool) *Pipeline {
	say := &Container{Name: "say", Image: "alpine", Inputs: []Input{{Name: "text", Type: String}},
		Command: []string{"echo", InputValue("text")}}
	p := NewPipeline("main-test")
	in := Inputs{"text": "hi"}
	if !ok {
		in = Inputs{"txt": "hi"}
	}
	p.Task(say, in)
	return p
}

func TestMainRun(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(mainPipeline(true), nil, &stdout, &stderr); code != 0 || !strings.HasPrefix(stdout.String(), "# PIPELINE DEFINITION\n# Name: main-test\n") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}

	out := filepath.Join(t.TempDir(), "p.yaml")
	stdout.Reset()
	if code := run(mainPipeline(true), []string{"-o", out}, &stdout, &stderr); code != 0 || stdout.Len() != 0 {
		t.Fatalf("-o: exit %d, stdout %q", code, stdout.String())
	}
	if b, err := os.ReadFile(out); err != nil || !bytes.Contains(b, []byte("name: main-test")) {
		t.Fatalf("-o wrote %q, %v", b, err)
	}

	stderr.Reset()
	if code := run(mainPipeline(false), nil, &stdout, &stderr); code != 1 {
		t.Fatalf("a pipeline with mistakes: exit %d", code)
	}
	want := "pipeline \"main-test\" has 2 error(s):\n" +
		"  task \"say\": input \"txt\": no such input (component \"say\" has: \"text\")\n" +
		"  task \"say\": input \"text\": required input (str) not given\n"
	if stderr.String() != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", stderr.String(), want)
	}

	if code := run(mainPipeline(true), []string{"-x"}, &stdout, &stderr); code != 2 {
		t.Errorf("bad flag: exit %d", code)
	}
	if code := run(mainPipeline(true), []string{"extra"}, &stdout, &stderr); code != 2 {
		t.Errorf("extra argument: exit %d", code)
	}
	stderr.Reset()
	if code := run(mainPipeline(true), []string{"-h"}, &stdout, &stderr); code != 0 || !strings.Contains(stderr.String(), "-o FILE") {
		t.Errorf("-h: exit %d, %q", code, stderr.String())
	}
}
