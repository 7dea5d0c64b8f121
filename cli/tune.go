package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sluicehq/sluice/artifact"
	"github.com/sluicehq/sluice/runner"
	"github.com/sluicehq/sluice/store"
	"github.com/sluicehq/sluice/tune"
	"github.com/sluicehq/sluice/tuner"
)

type tuneOpts struct {
	short        tune.ShortForm
	json         bool
	pipelineRoot string
	noCache      bool
	parallelism  int
	seed         uint64
}

func newTuneCmd(stdout, stderr io.Writer) *cobra.Command {
	o := &tuneOpts{}
	cmd := &cobra.Command{
		Use:   "tune (EXPERIMENT.yaml | PIPELINE.yaml --param NAME=TYPE:SPEC... --objective METRIC --maximize|--minimize)",
		Short: "Tune a pipeline's hyperparameters locally, or manage tuning experiments on a server (tune submit, list, get...)",
		Long: `Run a hyperparameter-tuning experiment on this machine: each trial is a run
of the pipeline with values of the searched parameters, chosen by the search
algorithm; the experiment ends by Katib's rules (goal reached, max trials,
max failed trials, the algorithm has nothing left). A progress line is
printed per trial with the best so far, and a table at the end.

EXPERIMENT.yaml is a Katib Experiment (kubeflow.org/v1beta1) whose
spec.trialTemplate.pipeline names the pipeline file; only --max-trials,
--parallel and --max-failed may override it. With a pipeline file instead,
the flags describe the experiment:

  sluice tune train.yaml --param lr=double:0.001:0.1:log --param layers=int:1:4 \
      --objective r2 --maximize --algorithm tpe --max-trials 20

Steps whose inputs do not depend on the searched parameters run once and are
served from the cache in the other trials. Exit status: 0 the experiment
Succeeded, 1 it Failed, 2 bad input (the experiment, the pipeline, or an
objective the trials never report), 130 canceled (Ctrl-C cancels the
experiment and its runs).

The subcommands (submit, list, get, trials, cancel, delete) work with
experiments on a Sluice server instead; to tune a local file named like one,
write ./NAME. See docs/TUNING.md.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return tuneLocal(cmd.Context(), args[0], o, stdout, stderr)
		},
	}
	f := cmd.Flags()
	o.short.AddFlags(f)
	f.BoolVar(&o.json, "json", false, "print one JSON object at the end (state, bestTrial, trials) instead of progress lines")
	f.StringVar(&o.pipelineRoot, "pipeline-root", "", "directory for the trials' artifacts (default $SLUICE_HOME/artifacts)")
	f.BoolVar(&o.noCache, "no-cache", false, "run every step of every trial (no shared steps)")
	f.IntVar(&o.parallelism, "parallelism", 0, "steps running at once across the trials (default: number of CPUs)")
	f.Uint64Var(&o.seed, "seed", 0, "seed of the search algorithm when its settings have no random_state (default: random)")
	addRemoteTuneCmds(cmd, stdout, stderr)
	return cmd
}

// loadExperiment reads an experiment file, or builds one from the short
// form over a pipeline file, and returns it with its pipeline's path.
func loadExperiment(path string, short *tune.ShortForm) (*tune.Experiment, string, error) {
	data, err := readInput(path)
	if err != nil {
		return nil, "", usagef("%v", err)
	}
	if !tune.IsExperiment(data) {
		e, err := short.Experiment(path)
		if err != nil {
			return nil, "", usagef("%v", err)
		}
		return e, path, nil
	}
	e, err := tune.Load(data)
	if err != nil {
		return nil, "", usagef("%s: %v", path, err)
	}
	if err := short.Override(e); err != nil {
		return nil, "", usagef("%v", err)
	}
	if ref := e.Spec.TrialTemplate.Pipeline; ref.File == "" {
		return e, "", nil
	}
	pp, err := e.PipelinePath(filepath.Dir(path))
	if err != nil {
		return nil, "", usagef("%s: %v", path, err)
	}
	return e, pp, nil
}

// checkError words an error of the check against the pipeline: for the
// short form a searched parameter is named by its --param flag, for a file
// the file is named.
func checkError(path, pipePath string, short *tune.ShortForm, err error) error {
	var fe *tune.FieldError
	if path != pipePath || !errors.As(err, &fe) {
		return fmt.Errorf("%s: %w", path, err)
	}
	for i, raw := range short.Params {
		prefix := fmt.Sprintf("spec.parameters[%d]", i)
		if fe.Field == prefix || strings.HasPrefix(fe.Field, prefix+".") {
			return fmt.Errorf("--param %q: %s", raw, fe.Msg)
		}
	}
	if fe.Field == "spec.maxTrialCount" {
		return fmt.Errorf("--max-trials: %s", fe.Msg)
	}
	if strings.HasPrefix(fe.Field, "spec.trialTemplate.arguments") {
		return fmt.Errorf("--arg: %s", fe.Msg)
	}
	return err
}

func tuneLocal(ctx context.Context, path string, o *tuneOpts, stdout, stderr io.Writer) error {
	e, pipePath, err := loadExperiment(path, &o.short)
	if err != nil {
		return err
	}
	if pipePath == "" {
		return usagef("%s: spec.trialTemplate.pipeline names the stored pipeline %q: run it on the server that has it with `sluice tune submit %s`, or name a pipeline file ({file: PATH})",
			path, e.Spec.TrialTemplate.Pipeline.Name, path)
	}
	p, err := loadFile(pipePath)
	if err != nil {
		return err
	}
	if err := tuner.Check(e, p); err != nil {
		return usagef("%v", checkError(path, pipePath, &o.short, err))
	}
	if strings.Contains(o.pipelineRoot, "://") && !strings.HasPrefix(o.pipelineRoot, "file://") {
		return usagef("--pipeline-root %q: local tuning needs a local directory (or a file:// URI)", o.pipelineRoot)
	}
	if ctx == nil {
		ctx = context.Background()
	}
	sig, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	// The trials are runs of a run service over a store of their own, kept
	// in a temporary directory; their artifacts, logs and cached steps are
	// under $SLUICE_HOME, shared with `sluice run`.
	tmp, err := os.MkdirTemp("", "sluice-tune-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	st, err := store.Open(ctx, filepath.Join(tmp, "tune.db"))
	if err != nil {
		return err
	}
	defer st.Close()
	eng, err := newEngine(o.parallelism)
	if err != nil {
		return err
	}
	root := eng.DefaultRoot
	if o.pipelineRoot != "" {
		root = strings.TrimPrefix(o.pipelineRoot, "file://")
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return err
	}
	arts, err := artifact.Open(ctx, root)
	if err != nil {
		return err
	}
	defer arts.Close()
	runs, err := runner.New(runner.Config{Store: st, Engine: eng, MaxConcurrent: e.Parallel()})
	if err != nil {
		return err
	}
	if err := runs.Start(ctx); err != nil {
		return err
	}
	defer runs.Stop()

	pr := &tuneProgress{w: stdout, e: e, quiet: o.json}
	var tun *tuner.Service
	var expID string
	var idMu sync.Mutex
	tun, err = tuner.New(tuner.Config{Store: st, Runs: runs, Artifacts: arts,
		OnTrial: func(id string, t tune.Trial) {
			if msg := pr.trial(t); msg != "" {
				// A trial succeeded without the objective and none has
				// reported it yet: the objective is never reported. Stop.
				idMu.Lock()
				pr.unreported = msg
				idMu.Unlock()
				go func() { _ = tun.Cancel(context.WithoutCancel(ctx), id) }()
			}
		}})
	if err != nil {
		return err
	}
	if err := tun.Start(ctx); err != nil {
		return err
	}
	defer tun.Stop()
	pr.header()
	start := time.Now()
	rec, err := tun.Create(ctx, &tuner.Request{Experiment: e, Pipeline: p, PipelineRoot: o.pipelineRoot, NoCache: o.noCache, Seed: o.seed})
	if err != nil {
		if errors.Is(err, tune.ErrInvalid) {
			return usagef("%s: %v", path, err)
		}
		return err
	}
	idMu.Lock()
	expID = rec.ID
	idMu.Unlock()
	go func() {
		// The first Ctrl-C cancels the experiment (its runs end CANCELED);
		// a second one exits at once.
		<-sig.Done()
		stop()
		if ctx.Err() == nil {
			_ = tun.Cancel(context.WithoutCancel(ctx), expID)
		}
	}()
	final, err := tun.Wait(context.WithoutCancel(ctx), rec.ID)
	if err != nil {
		return err
	}
	status, err := tuner.Status(final)
	if err != nil {
		return err
	}
	recs, err := st.ListTrials(ctx, rec.ID, store.TrialListOptions{})
	if err != nil {
		return err
	}
	trials, err := tuner.Trials(recs)
	if err != nil {
		return err
	}
	cond := status.Condition()
	idMu.Lock()
	unreported := pr.unreported
	idMu.Unlock()
	if unreported != "" && status.CurrentOptimalTrial == nil {
		return usagef("%s", unreported)
	}
	if o.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(tune.NewResult(e, cond, trials)); err != nil {
			return err
		}
	} else {
		printTuneSummary(stdout, e, cond, status, trials, tuner.CacheSavings(recs), time.Since(start))
	}
	switch {
	case cond.Type == tune.ConditionSucceeded:
		return nil
	case cond.Reason == "ExperimentCanceled":
		return &exitError{code: ExitCanceled}
	}
	return &exitError{code: ExitFailed}
}

// tuneProgress prints a line per trial that ends, with the best so far.
type tuneProgress struct {
	w          io.Writer
	e          *tune.Experiment
	quiet      bool
	mu         sync.Mutex
	done       []tune.Trial
	reported   bool
	unreported string
}

func (p *tuneProgress) header() {
	if p.quiet {
		return
	}
	e := p.e
	budget := "no trial limit"
	if n, ok := e.MaxTrials(); ok {
		budget = fmt.Sprintf("%d trials", n)
	}
	fmt.Fprintf(p.w, "Tuning %s: %s, %s, %d at a time, %s %s\n", e.Metadata.Name, e.Spec.Algorithm.AlgorithmName, budget,
		e.Parallel(), e.Spec.Objective.Type, e.Spec.Objective.ObjectiveMetricName)
}

// trial records a trial that changed; for one that ended without the
// objective before any trial reported it, it returns why the experiment
// cannot go on.
func (p *tuneProgress) trial(t tune.Trial) string {
	if !t.State.Completed() {
		return ""
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done = append(p.done, t)
	obj := p.e.Spec.Objective.ObjectiveMetricName
	v, ok := p.e.ObjectiveValue(t.Observation)
	if ok {
		p.reported = true
	}
	if !p.quiet {
		total := "?"
		if n, ok := p.e.MaxTrials(); ok {
			total = fmt.Sprint(n)
		}
		var b strings.Builder
		fmt.Fprintf(&b, "[%*d/%s] %s  %-18s", len(total), len(p.done), total, t.Name, t.State)
		if ok {
			fmt.Fprintf(&b, "  %s=%s", obj, fmtObjective(v))
		}
		fmt.Fprintf(&b, "  %s", formatAssignments(t.Assignments))
		if best := tune.BestTrial(p.e, p.done); best != nil {
			fmt.Fprintf(&b, "  best %s=%s (%s)", obj, fmtObjective(best.Objective), best.Trial.Name)
		}
		fmt.Fprintln(p.w, b.String())
	}
	if t.State == tune.TrialMetricsUnavailable && !p.reported {
		return fmt.Sprintf("trial %s: its run succeeded without reporting the objective metric %q: print %s=VALUE on a line of the step's output or log it to a Metrics artifact (log_metric), or name the metric the pipeline reports with --objective (spec.objective.objectiveMetricName)",
			t.Name, obj, obj)
	}
	return ""
}

func formatAssignments(as []tune.ParameterAssignment) string {
	parts := make([]string, 0, len(as))
	for _, a := range as {
		parts = append(parts, a.Name+"="+a.Value)
	}
	return strings.Join(parts, " ")
}

// printTuneSummary prints the experiment's end: its condition, a table of
// its trials, the best one and what the cache saved.
func printTuneSummary(w io.Writer, e *tune.Experiment, cond tune.Condition, st tune.ExperimentStatus, trials []tune.Trial, s tuner.Savings, took time.Duration) {
	fmt.Fprintf(w, "Experiment %s %s (%s) in %s: %d trials", e.Metadata.Name, cond.Type, cond.Reason, fmtDuration(took), st.Trials)
	var counts []string
	for _, c := range []struct {
		n    int
		what string
	}{{st.TrialsSucceeded, "succeeded"}, {st.TrialsFailed, "failed"}, {st.TrialMetricsUnavailable, "without metrics"},
		{st.TrialsEarlyStopped, "stopped early"}, {st.TrialsKilled, "killed"}} {
		if c.n > 0 {
			counts = append(counts, fmt.Sprintf("%d %s", c.n, c.what))
		}
	}
	if len(counts) > 0 {
		fmt.Fprintf(w, " (%s)", strings.Join(counts, ", "))
	}
	fmt.Fprintln(w)
	obj := e.Spec.Objective.ObjectiveMetricName
	names := make([]string, 0, len(e.Spec.Parameters))
	for _, p := range e.Spec.Parameters {
		names = append(names, p.Name)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	head := append([]string{"TRIAL", "STATE", strings.ToUpper(obj)}, upper(names)...)
	fmt.Fprintln(tw, strings.Join(append(head, "RUN"), "\t"))
	for _, t := range trials {
		v := "-"
		if x, ok := e.ObjectiveValue(t.Observation); ok {
			v = fmtObjective(x)
		}
		row := []string{t.Name, string(t.State), v}
		vals := map[string]string{}
		for _, a := range t.Assignments {
			vals[a.Name] = a.Value
		}
		for _, n := range names {
			row = append(row, vals[n])
		}
		fmt.Fprintln(tw, strings.Join(append(row, t.RunID), "\t"))
	}
	tw.Flush()
	if b := tune.BestTrial(e, trials); b != nil {
		fmt.Fprintf(w, "Best: %s  %s=%s  %s  (run %s)\n", b.Trial.Name, obj, fmtObjective(b.Objective), formatAssignments(b.Trial.Assignments), b.Trial.RunID)
	} else {
		fmt.Fprintln(w, "Best: none (no trial reported the objective)")
	}
	if s.CachedSteps > 0 {
		fmt.Fprintf(w, "Cache: %d of %d steps from the cache, %s saved\n", s.CachedSteps, s.Steps, fmtDuration(s.Saved))
	}
}

func upper(ss []string) []string {
	out := slices.Clone(ss)
	for i, s := range out {
		out[i] = strings.ToUpper(s)
	}
	return out
}

// fmtObjective shows a metric value to 6 significant digits (the JSON
// output and the API keep every digit).
func fmtObjective(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
