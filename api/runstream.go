package api

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"

	"github.com/sluicehq/sluice/store"
	"github.com/sluicehq/sluice/wire"
)

// runWithTasks is a run with its tasks as run_details.task_details,
// written one task at a time (streamJSON): a run of 10,000 tasks is
// megabytes of JSON, which encoding whole held in one growing buffer (and
// the garbage of its growth) on every poll of the run.
type runWithTasks struct {
	run   wire.Run // without RunDetails
	tasks []*store.Task
}

// streamJSON writes the run: its own fields, then run_details with each
// task encoded on its own. Only the run's own fields can fail to encode,
// and they are encoded before anything is written.
func (v *runWithTasks) streamJSON(w io.Writer) error {
	head, err := encodeJSON(v.run)
	if err != nil {
		return err
	}
	if len(v.tasks) == 0 {
		_, err := w.Write(head)
		return err
	}
	head = bytes.TrimSuffix(bytes.TrimRight(head, "\n"), []byte("}"))
	bw := bufio.NewWriterSize(w, 32<<10)
	bw.Write(head)
	if len(bytes.TrimSpace(head)) > 1 { // more than "{"
		bw.WriteByte(',')
	}
	bw.WriteString(`"run_details":{"task_details":[`)
	children := childTasks(v.tasks)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for i, t := range v.tasks {
		if i > 0 {
			bw.WriteByte(',')
		}
		if err := enc.Encode(taskDetail(v.run.RunID, t, children)); err != nil {
			return err
		}
	}
	bw.WriteString("]}}\n")
	return bw.Flush()
}

// MarshalJSON is the same JSON, whole.
func (v *runWithTasks) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	if err := v.streamJSON(&b); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// encodeJSON is v as writeJSON encodes it (HTML characters not escaped),
// with its final newline.
func encodeJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
