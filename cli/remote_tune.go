package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sluicehq/sluice/client"
	"github.com/sluicehq/sluice/spec"
	"github.com/sluicehq/sluice/tune"
	"github.com/sluicehq/sluice/tuner"
	"github.com/sluicehq/sluice/wire"
)

// addRemoteTuneCmds attaches the server-side tuning commands to `sluice
// tune` (which itself tunes locally). They are named apart from `sluice
// experiment`, which manages KFP's experiments (groups of runs).
func addRemoteTuneCmds(cmd *cobra.Command, stdout, stderr io.Writer) {
	cmd.AddCommand(
		newTuneSubmitCmd(stdout, stderr),
		newTuneListCmd(stdout, stderr),
		newTuneGetCmd(stdout, stderr),
		newTuneTrialsCmd(stdout, stderr),
		newTuneEditCmd(stdout, stderr),
		newTuneActionCmd(stdout, stderr, "cancel", "Cancel a tuning experiment (it ends Failed; its running trials are killed)", "Canceled", (*client.Client).CancelTuningExperiment),
		newTuneActionCmd(stdout, stderr, "delete", "Delete a tuning experiment, its trials and their runs", "Deleted", (*client.Client).DeleteTuningExperiment),
	)
}

func newTuneSubmitCmd(stdout, stderr io.Writer) *cobra.Command {
	r := newRemote(stdout, stderr)
	o := &tuneOpts{}
	var wait bool
	cmd := &cobra.Command{
		Use:   "submit (EXPERIMENT.yaml | PIPELINE.yaml --param ... --objective METRIC --maximize|--minimize)",
		Short: "Submit a tuning experiment to the server",
		Long: `Submit a tuning experiment to a Sluice server: a Katib Experiment file, or a
pipeline file with the short form's flags (as for sluice tune). A pipeline
named by file is read here and sent with the experiment; one named
{name: PIPELINE, version: VERSION} is the server's. The server checks the
experiment against the pipeline before any trial runs. With --wait, follow
it: a line per trial that ends, a table at the end, and the exit status of
sluice tune (0 Succeeded, 1 Failed).`,
		Args: cobra.ExactArgs(1),
		RunE: r.runOwnClient(func(ctx context.Context, args []string) error {
			e, pipePath, err := loadExperiment(args[0], &o.short)
			if err != nil {
				return err
			}
			req := &wire.CreateTuningExperimentRequest{PipelineRoot: o.pipelineRoot, NoCache: o.noCache, Seed: o.seed}
			if req.Experiment, err = json.Marshal(e); err != nil {
				return err
			}
			if pipePath != "" {
				p, err := loadFile(pipePath)
				if err != nil {
					return err
				}
				if err := tuner.Check(e, p); err != nil {
					return usagef("%v", checkError(args[0], pipePath, &o.short, err))
				}
				if req.PipelineSpec, err = spec.MarshalStored(p); err != nil {
					return err
				}
			}
			c, err := r.client()
			if err != nil {
				return err
			}
			exp, err := c.CreateTuningExperiment(ctx, req)
			if err != nil {
				var ae *client.APIError
				if errors.As(err, &ae) && ae.Status == 400 {
					return usagef("%s: %s", args[0], ae.Message)
				}
				return err
			}
			if !wait {
				return r.output(exp, func() {
					fmt.Fprintf(stdout, "Submitted tuning experiment %s (%s)\n", exp.Name, exp.ID)
				})
			}
			return r.followTuning(ctx, c, exp)
		}),
	}
	f := cmd.Flags()
	o.short.AddFlags(f)
	f.StringVar(&o.pipelineRoot, "pipeline-root", "", "where the trials' artifacts go (default the server's)")
	f.BoolVar(&o.noCache, "no-cache", false, "run every step of every trial (no shared steps)")
	f.Uint64Var(&o.seed, "seed", 0, "seed of the search algorithm when its settings have no random_state (default: random)")
	f.BoolVar(&wait, "wait", false, "follow the experiment until it ends; the exit status is sluice tune's (Ctrl-C stops following, the experiment goes on: 3)")
	r.flags(cmd, true)
	cmd.Flags().Lookup("json").Usage = "print JSON: the experiment as created, or with --wait the result (state, bestTrial, trials)"
	return cmd
}

// wireExperiment decodes an experiment's spec and status as served.
func wireExperiment(w *wire.TuningExperiment) (*tune.Experiment, tune.ExperimentStatus, error) {
	var e tune.Experiment
	var st tune.ExperimentStatus
	if err := json.Unmarshal(w.Spec, &e); err != nil {
		return nil, st, fmt.Errorf("tuning experiment %s: spec: %w", w.ID, err)
	}
	e.SetDefaults()
	if len(w.Status) > 0 {
		if err := json.Unmarshal(w.Status, &st); err != nil {
			return nil, st, fmt.Errorf("tuning experiment %s: status: %w", w.ID, err)
		}
	}
	return &e, st, nil
}

// wireTrial is a served trial as the lifecycle sees it.
func wireTrial(w wire.TuningTrial) tune.Trial {
	t := tune.Trial{Name: w.Name, State: tune.TrialState(w.State), RunID: w.RunID}
	for _, a := range w.ParameterAssignments {
		t.Assignments = append(t.Assignments, tune.ParameterAssignment{Name: a.Name, Value: a.Value})
	}
	if len(w.Observation) > 0 {
		var o tune.Observation
		if json.Unmarshal(w.Observation, &o) == nil {
			t.Observation = &o
		}
	}
	if w.CompletedAt != nil {
		t.CompletionTime = *w.CompletedAt
	}
	return t
}

// followTuning polls an experiment until it has ended, printing a line per
// trial that ends, then the table (or, with --json, the result).
func (r *remote) followTuning(ctx context.Context, c *client.Client, exp *wire.TuningExperiment) error {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	e, _, err := wireExperiment(exp)
	if err != nil {
		return err
	}
	pr := &tuneProgress{w: r.stdout, e: e, quiet: r.json}
	pr.header()
	seen := map[string]bool{}
	start := time.Now()
	for {
		cur, err := c.GetTuningExperiment(ctx, exp.ID)
		if err == nil {
			var trials []wire.TuningTrial
			trials, err = c.TuningTrials(ctx, exp.ID)
			if err == nil {
				active := false
				for _, t := range trials {
					tt := wireTrial(t)
					if tt.State.Active() {
						active = true
						continue
					}
					if !seen[t.Name] {
						seen[t.Name] = true
						pr.trial(tt)
					}
				}
				if (cur.Condition == string(tune.ConditionSucceeded) || cur.Condition == string(tune.ConditionFailed)) && !active {
					return r.tuningEnd(cur, trials, time.Since(start))
				}
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return &exitError{code: ExitDetached, msg: fmt.Sprintf(
					"stopped following tuning experiment %s; it goes on on the server (`sluice tune cancel %s` cancels it)", exp.ID, exp.ID)}
			}
			return err
		}
		select {
		case <-ctx.Done():
		case <-time.After(pollInterval):
		}
	}
}

// tuningEnd prints an experiment's end and maps its condition to the exit
// status.
func (r *remote) tuningEnd(cur *wire.TuningExperiment, trials []wire.TuningTrial, took time.Duration) error {
	e, st, err := wireExperiment(cur)
	if err != nil {
		return err
	}
	ts := make([]tune.Trial, 0, len(trials))
	for _, t := range trials {
		ts = append(ts, wireTrial(t))
	}
	cond := st.Condition()
	if r.json {
		if err := r.printJSON(tune.NewResult(e, cond, ts)); err != nil {
			return err
		}
	} else {
		var sv tuner.Savings
		if c := cur.Cache; c != nil {
			sv = tuner.Savings{Saved: time.Duration(c.SavedSeconds * float64(time.Second)), CachedSteps: c.CachedSteps, Steps: c.Steps, Unknown: c.UnmeasuredSteps}
		}
		printTuneSummary(r.stdout, e, cond, st, ts, sv, took)
	}
	switch {
	case cond.Type == tune.ConditionSucceeded:
		return nil
	case cond.Reason == "ExperimentCanceled":
		return &exitError{code: ExitCanceled}
	}
	return &exitError{code: ExitFailed}
}

func newTuneListCmd(stdout, stderr io.Writer) *cobra.Command {
	r := newRemote(stdout, stderr)
	var o client.ListOptions
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the tuning experiments on the server, newest first",
		Args:  cobra.NoArgs,
		RunE: r.runE(func(ctx context.Context, c *client.Client, _ []string) error {
			if o.SortBy == "" {
				o.SortBy = "created_at desc"
			}
			l, err := c.ListTuningExperiments(ctx, o)
			if err != nil {
				return err
			}
			return r.output(l, func() {
				t := newTable(stdout, "ID", "NAME", "CONDITION", "TRIALS", "BEST", "CREATED")
				for _, x := range l.Experiments {
					e, st, err := wireExperiment(&x)
					best := ""
					if err == nil && x.BestTrial != nil && x.BestTrial.Objective != nil {
						best = e.Spec.Objective.ObjectiveMetricName + "=" + fmtObjective(*x.BestTrial.Objective)
					}
					created := ""
					if x.CreatedAt != nil {
						created = x.CreatedAt.Local().Format("2006-01-02 15:04:05")
					}
					t.row(x.ID, x.Name, x.Condition, fmt.Sprint(st.Trials), best, created)
				}
				t.flush()
				nextPage(stdout, l.NextPageToken)
			})
		}),
	}
	listFlags(cmd, &o)
	return r.flags(cmd, true)
}

func newTuneGetCmd(stdout, stderr io.Writer) *cobra.Command {
	r := newRemote(stdout, stderr)
	cmd := &cobra.Command{
		Use:   "get ID_OR_NAME",
		Short: "Show a tuning experiment: its condition, trial counts, best trial and what the cache saved",
		Args:  cobra.ExactArgs(1),
		RunE: r.runE(func(ctx context.Context, c *client.Client, args []string) error {
			x, err := c.FindTuningExperiment(ctx, args[0])
			if err != nil {
				return err
			}
			return r.output(x, func() {
				e, st, err := wireExperiment(x)
				if err != nil {
					fmt.Fprintln(stdout, err)
					return
				}
				obj := e.Spec.Objective
				budget := "no limit"
				if n, ok := e.MaxTrials(); ok {
					budget = fmt.Sprint(n)
				}
				pairs := []string{"ID", x.ID, "Name", x.Name, "Condition", x.Condition + " (" + x.Reason + ")", "Message", x.Message,
					"Objective", fmt.Sprintf("%s %s", obj.Type, obj.ObjectiveMetricName), "Algorithm", e.Spec.Algorithm.AlgorithmName,
					"Trials", fmt.Sprintf("%d of %s (%d running, %d succeeded, %d failed, %d without metrics, %d stopped early, %d killed)",
						st.Trials, budget, st.TrialsRunning, st.TrialsSucceeded, st.TrialsFailed, st.TrialMetricsUnavailable, st.TrialsEarlyStopped, st.TrialsKilled)}
				if b := x.BestTrial; b != nil && b.Objective != nil {
					pairs = append(pairs, "Best trial", fmt.Sprintf("%s %s=%s %s (run %s)", b.Name, obj.ObjectiveMetricName,
						fmtObjective(*b.Objective), formatAssignments(wireTrial(*b).Assignments), b.RunID))
				}
				if ch := x.Cache; ch != nil && ch.CachedSteps > 0 {
					pairs = append(pairs, "Cache", fmt.Sprintf("%d of %d steps from the cache, %s saved", ch.CachedSteps, ch.Steps,
						fmtDuration(time.Duration(ch.SavedSeconds*float64(time.Second)))))
				}
				kv(stdout, pairs...)
			})
		}),
	}
	return r.flags(cmd, true)
}

func newTuneTrialsCmd(stdout, stderr io.Writer) *cobra.Command {
	r := newRemote(stdout, stderr)
	cmd := &cobra.Command{
		Use:   "trials ID_OR_NAME",
		Short: "List a tuning experiment's trials: state, objective, parameters, run",
		Args:  cobra.ExactArgs(1),
		RunE: r.runE(func(ctx context.Context, c *client.Client, args []string) error {
			x, err := c.FindTuningExperiment(ctx, args[0])
			if err != nil {
				return err
			}
			trials, err := c.TuningTrials(ctx, x.ID)
			if err != nil {
				return err
			}
			return r.output(wire.ListTuningTrialsResponse{Trials: trials}, func() {
				e, _, err := wireExperiment(x)
				if err != nil {
					fmt.Fprintln(stdout, err)
					return
				}
				t := newTable(stdout, "TRIAL", "STATE", strings.ToUpper(e.Spec.Objective.ObjectiveMetricName), "PARAMETERS", "RUN", "MESSAGE")
				for _, tr := range trials {
					v := ""
					if tr.Objective != nil {
						v = fmtObjective(*tr.Objective)
					}
					t.row(tr.Name, tr.State, v, formatAssignments(wireTrial(tr).Assignments), tr.RunID, tr.Message)
				}
				t.flush()
			})
		}),
	}
	return r.flags(cmd, true)
}

func newTuneActionCmd(stdout, stderr io.Writer, name, short, done string, act func(*client.Client, context.Context, string) error) *cobra.Command {
	r := newRemote(stdout, stderr)
	cmd := &cobra.Command{
		Use:   name + " ID_OR_NAME",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: r.runE(func(ctx context.Context, c *client.Client, args []string) error {
			x, err := c.FindTuningExperiment(ctx, args[0])
			if err != nil {
				return err
			}
			if err := act(c, ctx, x.ID); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%s tuning experiment %s (%s)\n", done, x.Name, x.ID)
			return nil
		}),
	}
	return r.flags(cmd, false)
}

func newTuneEditCmd(stdout, stderr io.Writer) *cobra.Command {
	r := newRemote(stdout, stderr)
	var maxTrials, parallel, maxFailed int32
	changed := map[string]bool{}
	cmd := &cobra.Command{
		Use:   "edit ID_OR_NAME [--max-trials N] [--parallel N] [--max-failed N]",
		Short: "Change a tuning experiment's budget (more trials restart one that reached maxTrialCount)",
		Long: `Change the fields Katib lets you edit on a live experiment: maxTrialCount,
parallelTrialCount and maxFailedTrialCount. Raising --max-trials of an
experiment that ended by reaching it starts it again; lowering --parallel
below its running trials deletes the newest of them (their runs are
canceled).`,
		Args: cobra.ExactArgs(1),
		RunE: r.runE(func(ctx context.Context, c *client.Client, args []string) error {
			var b wire.TuningBudget
			f := func(name string, v *int32, dst **int32) {
				if changed[name] {
					x := *v
					*dst = &x
				}
			}
			f("max-trials", &maxTrials, &b.MaxTrialCount)
			f("parallel", &parallel, &b.ParallelTrialCount)
			f("max-failed", &maxFailed, &b.MaxFailedTrialCount)
			if b.MaxTrialCount == nil && b.ParallelTrialCount == nil && b.MaxFailedTrialCount == nil {
				return usagef("give --max-trials, --parallel or --max-failed")
			}
			x, err := c.FindTuningExperiment(ctx, args[0])
			if err != nil {
				return err
			}
			up, err := c.UpdateTuningBudget(ctx, x.ID, &b)
			if err != nil {
				var ae *client.APIError
				if errors.As(err, &ae) && ae.Status == 400 {
					return usagef("%s", ae.Message)
				}
				return err
			}
			return r.output(up, func() {
				fmt.Fprintf(stdout, "Updated tuning experiment %s (%s)\n", up.Name, up.ID)
			})
		}),
	}
	fl := cmd.Flags()
	fl.Int32Var(&maxTrials, "max-trials", 0, "most trials to run")
	fl.Int32Var(&parallel, "parallel", 0, "trials running at once")
	fl.Int32Var(&maxFailed, "max-failed", 0, "the experiment fails after this many failed trials")
	cmd.PreRun = func(cmd *cobra.Command, _ []string) {
		cmd.Flags().Visit(func(f *pflag.Flag) { changed[f.Name] = true })
	}
	return r.flags(cmd, true)
}
