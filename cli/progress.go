package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/runstate"
	"github.com/sluicehq/sluice/wire"
)

// runExit is the exit status of a run that ended in state: 0 succeeded,
// 130 canceled, 1 otherwise. It is the one mapping for local and server
// runs.
func runExit(state runstate.State) error {
	switch state {
	case runstate.Succeeded:
		return nil
	case runstate.Canceled:
		return &exitError{code: ExitCanceled}
	}
	return &exitError{code: ExitFailed}
}

// taskLine is a task as a progress line shows it.
type taskLine struct {
	ID       string
	State    runstate.State
	Kind     string // shown when not a container step
	Attempts int
	Cached   bool
	Start    time.Time
	End      time.Time
	Created  time.Time // orders a task that ended without starting
	Error    string
}

func (l taskLine) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-9s  %s", l.State, l.ID)
	if l.Kind != engine.KindContainer && l.Kind != "" {
		fmt.Fprintf(&b, " [%s]", l.Kind)
	}
	switch {
	case l.State.Terminal():
		if !l.Cached && !l.Start.IsZero() && !l.End.IsZero() && !l.End.Before(l.Start) {
			fmt.Fprintf(&b, "  %s", fmtDuration(l.End.Sub(l.Start)))
		}
		if l.Cached {
			b.WriteString("  (cached)")
		}
		if l.Error != "" && l.State != runstate.Succeeded {
			fmt.Fprintf(&b, "  %s", oneLine(l.Error))
		}
	case l.Attempts > 1:
		fmt.Fprintf(&b, "  (attempt %d)", l.Attempts)
	}
	return b.String()
}

// progress prints one line per task state change: of a local run, as the
// engine's Recorder, and of a run on a server, from the run as polled.
type progress struct {
	mu   sync.Mutex
	w    io.Writer
	last map[string]taskLine
}

// changed records l and reports whether it is news: a state, attempt or
// start not shown yet. Pending tasks are not shown.
func (p *progress) changed(l taskLine) bool {
	if l.State == "" || l.State == runstate.Pending {
		return false
	}
	if p.last == nil {
		p.last = map[string]taskLine{}
	}
	prev, seen := p.last[l.ID]
	if seen && prev.State == l.State && prev.Attempts == l.Attempts && prev.Start.Equal(l.Start) {
		return false
	}
	p.last[l.ID] = l
	return true
}

// RecordTask prints a task change of a local run.
func (p *progress) RecordTask(_ context.Context, t engine.Task) error {
	l := taskLine{ID: t.ID, State: t.State, Kind: t.Kind, Attempts: t.Attempts, Cached: t.Cached, Start: t.Started, End: t.Finished, Error: t.Error}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.changed(l) {
		fmt.Fprintln(p.w, l)
	}
	return nil
}

func detailLine(t wire.TaskDetail) taskLine {
	l := taskLine{ID: t.TaskID, State: t.State, Start: t.StartTime.Time, End: t.EndTime.Time, Created: t.CreateTime.Time}
	if t.Error != nil {
		l.Error = t.Error.Message
	}
	return l
}

// seed records the tasks of a server run as already shown.
func (p *progress) seed(r *wire.Run) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, t := range r.Tasks() {
		p.changed(detailLine(t))
	}
}

// update prints what changed in a server run since the last poll, in the
// order it happened; a task that started and ended between two polls
// still gets its RUNNING line.
func (p *progress) update(r *wire.Run) {
	p.mu.Lock()
	defer p.mu.Unlock()
	type event struct {
		at   time.Time
		line taskLine
	}
	var events []event
	for _, t := range r.Tasks() {
		l := detailLine(t)
		prev := p.last[l.ID]
		if !p.changed(l) {
			continue
		}
		at := l.Start
		if l.State.Terminal() {
			if prev.State != runstate.Running && !l.Start.IsZero() && !l.Start.Equal(prev.Start) {
				events = append(events, event{l.Start, taskLine{ID: l.ID, State: runstate.Running}})
			}
			if !l.End.IsZero() {
				at = l.End
			}
		}
		if at.IsZero() {
			at = l.Created // skipped or canceled before it started: when that was decided
		}
		events = append(events, event{at, l})
	}
	sort.SliceStable(events, func(i, j int) bool { return events[i].at.Before(events[j].at) })
	for _, e := range events {
		fmt.Fprintln(p.w, e.line)
	}
}

// maxTails is how many failed steps get the end of their log shown.
const maxTails = 3

// failedStep is a step that failed with the end of its log and the
// command that shows all of it.
type failedStep struct {
	id, tail, seeAll string
}

// printTails shows the end of the log of each step that failed (the
// task record's LogTail, the same for local and server runs), so that the
// cause is on the screen, and the command that shows the whole log.
func printTails(w io.Writer, steps []failedStep) {
	for i, s := range steps {
		if i == maxTails {
			fmt.Fprintf(w, "(%d more steps failed)\n", len(steps)-maxTails)
			break
		}
		fmt.Fprintf(w, "Last lines of the log of %s:\n", s.id)
		for _, l := range strings.Split(s.tail, "\n") {
			fmt.Fprintf(w, "    %s\n", l)
		}
		fmt.Fprintf(w, "Whole log: %s\n", s.seeAll)
	}
}
