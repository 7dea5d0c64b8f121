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

	"github.com/sluicehq/sluice/client"
	"github.com/sluicehq/sluice/runstate"
	"github.com/sluicehq/sluice/spec"
	"github.com/sluicehq/sluice/wire"
)

// pollInterval is how often a followed run is polled.
var pollInterval = 500 * time.Millisecond

// addRemoteRunCmds attaches the server-side run commands to `sluice run`
// (which itself runs a local file).
func addRemoteRunCmds(run *cobra.Command, stdout, stderr io.Writer) {
	run.AddCommand(
		newRunSubmitCmd(stdout, stderr),
		newRunListCmd(stdout, stderr),
		newRunGetCmd(stdout, stderr),
		newRunWaitCmd(stdout, stderr),
		newRunLogsCmd(stdout, stderr),
		newRunActionCmd(stdout, stderr, "cancel", "Cancel (terminate) a run on the server", "Canceling", (*client.Client).TerminateRun),
		newRunActionCmd(stdout, stderr, "retry", "Start a failed or canceled run again, in place", "Retrying", (*client.Client).RetryRun),
		newRunActionCmd(stdout, stderr, "archive", "Archive a run", "Archived", (*client.Client).ArchiveRun),
		newRunActionCmd(stdout, stderr, "unarchive", "Restore an archived run", "Unarchived", (*client.Client).UnarchiveRun),
		newRunActionCmd(stdout, stderr, "delete", "Delete a run (canceling it first if it is active)", "Deleted", (*client.Client).DeleteRun),
	)
}

// sourceOpts choose the pipeline and the inputs of a run or recurring run.
type sourceOpts struct {
	pipeline     string
	version      string
	params       []string
	experiment   string
	name         string
	description  string
	pipelineRoot string
}

func (o *sourceOpts) flags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.pipeline, "pipeline", "", "a pipeline stored on the server (`ID or name`)")
	f.StringVar(&o.version, "version", "", "version of --pipeline (`ID`; default the latest)")
	f.StringArrayVarP(&o.params, "param", "p", nil, "run parameter `name=value` (repeatable); parsed by the parameter's declared type")
	f.StringVar(&o.experiment, "experiment", "", "experiment (`name or ID`; created when missing; default the server's default experiment)")
	f.StringVar(&o.description, "description", "", "description")
	f.StringVar(&o.pipelineRoot, "pipeline-root", "", "where artifacts go (default the server's)")
}

// source is a resolved pipeline: an inline spec or a stored version.
type source struct {
	inline     json.RawMessage
	pipelineID string
	versionID  string
	params     map[string]any
}

// resolve loads the pipeline (a local file, or the stored version's spec)
// and checks the -p values against its parameters. A local file is read
// before the server is contacted. Errors of the server are returned as
// they are, for the command's r.fail.
func (o *sourceOpts) resolve(ctx context.Context, r *remote, args []string) (*client.Client, *source, error) {
	if len(args) > 0 && o.pipeline != "" {
		return nil, nil, usagef("give either FILE or --pipeline, not both")
	}
	if len(args) == 0 && o.pipeline == "" {
		return nil, nil, usagef("give a pipeline FILE or --pipeline ID_OR_NAME")
	}
	if o.version != "" && o.pipeline == "" {
		return nil, nil, usagef("--version needs --pipeline")
	}
	src := &source{}
	var p *spec.Pipeline
	if len(args) > 0 {
		var err error
		if p, err = loadFile(args[0]); err != nil {
			return nil, nil, err
		}
		if src.inline, err = spec.MarshalStored(p); err != nil {
			return nil, nil, err
		}
	}
	c, err := r.client()
	if err != nil {
		return nil, nil, err
	}
	if o.pipeline != "" {
		pl, err := resolvePipeline(ctx, c, o.pipeline)
		if err != nil {
			return nil, nil, err
		}
		v, sp, err := storedSpec(ctx, c, pl.PipelineID, o.version)
		if err != nil {
			return nil, nil, err
		}
		p, src.pipelineID, src.versionID = sp, pl.PipelineID, v.PipelineVersionID
	}
	if src.params, err = parseParams(p.Spec, o.params); err != nil {
		return nil, nil, err
	}
	return c, src, nil
}

func newRunSubmitCmd(stdout, stderr io.Writer) *cobra.Command {
	r := newRemote(stdout, stderr)
	o := &sourceOpts{}
	var wait bool
	cmd := &cobra.Command{
		Use:   "submit (FILE | --pipeline ID_OR_NAME [--version ID])",
		Short: "Submit a run to the server",
		Long: `Submit a run of a local pipeline file (sent inline) or of a pipeline stored on
the server (its latest version unless --version). Each -p is checked against
the pipeline's parameters and parsed by its declared type before the run is
submitted. With --wait, follow the run and exit 0 only if it succeeded
(1 failed, 130 canceled). Ctrl-C stops following and leaves the run going
on on the server: exit status 3 (sluice run cancel ID cancels it).`,
		Args: cobra.MaximumNArgs(1),
		RunE: r.runOwnClient(func(ctx context.Context, args []string) error {
			c, src, err := o.resolve(ctx, r, args)
			if err != nil {
				return err
			}
			exp, err := experimentID(ctx, c, o.experiment, stderr)
			if err != nil {
				return err
			}
			run, err := c.CreateRun(ctx, client.CreateRunRequest{
				ExperimentID: exp, DisplayName: o.name, Description: o.description,
				PipelineSpec: src.inline, PipelineID: src.pipelineID, PipelineVersionID: src.versionID,
				Parameters: src.params, PipelineRoot: o.pipelineRoot,
			})
			if err != nil {
				return err
			}
			if wait {
				if !r.json {
					fmt.Fprintf(stdout, "Submitted run %s (%s)\n", run.RunID, run.DisplayName)
				}
				return r.follow(ctx, c, run.RunID, nil)
			}
			return r.output(run, func() {
				fmt.Fprintf(stdout, "Submitted run %s (%s)\n", run.RunID, run.DisplayName)
			})
		}),
	}
	o.flags(cmd)
	cmd.Flags().StringVar(&o.name, "name", "", "run name (default the pipeline's name)")
	cmd.Flags().BoolVar(&wait, "wait", false, "follow the run until it ends; the exit status is the run's (Ctrl-C stops following, the run goes on: 3)")
	return r.flags(cmd, true)
}

// follow waits for a run, printing task state changes (or, with --json,
// the final run), and maps its end state to the exit status.
// seed, when not nil, is the run as it was before: its tasks' states are
// not shown again.
func (r *remote) follow(ctx context.Context, c *client.Client, id string, seed *wire.Run) error {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	var onChange func(*wire.Run)
	if !r.json {
		pr := &progress{w: r.stdout}
		if seed != nil {
			pr.seed(seed)
		}
		onChange = pr.update
	}
	run, err := c.WaitRun(ctx, id, pollInterval, onChange)
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, context.Canceled) {
			return &exitError{code: ExitDetached, msg: fmt.Sprintf(
				"stopped following run %s; it goes on on the server (`sluice run wait %s` follows it again, `sluice run cancel %s` cancels it)", id, id, id)}
		}
		return r.fail(err)
	}
	if r.json {
		if err := r.printJSON(run); err != nil {
			return err
		}
	} else {
		line := fmt.Sprintf("Run %s %s", run.RunID, run.State)
		if d := span(run.CreatedAt, run.FinishedAt); d != "" {
			line += " in " + d
		}
		fmt.Fprintln(r.stdout, line)
		if run.Error != nil && run.Error.Message != "" && run.State != runstate.Succeeded {
			fmt.Fprintf(r.stdout, "  %s\n", oneLine(run.Error.Message))
		}
		if run.State == runstate.Failed {
			r.printTails(ctx, c, run.RunID)
		}
	}
	return runExit(run.State)
}

// printTails shows the end of the log of the run's steps that failed, as
// their task records on the server hold it.
func (r *remote) printTails(ctx context.Context, c *client.Client, id string) {
	tasks, err := c.Tasks(ctx, id)
	if err != nil {
		fmt.Fprintf(r.stderr, "sluice: cannot read the failed steps' logs: %v\n", r.fail(err))
		return
	}
	var failed []failedStep
	for _, t := range tasks {
		if t.State == runstate.Failed && t.LogTail != "" {
			failed = append(failed, failedStep{id: t.TaskID, tail: t.LogTail,
				seeAll: "sluice run logs " + shellQuote(id) + " " + shellQuote(t.TaskID) + r.serverFlag()})
		}
	}
	printTails(r.stdout, failed)
}

// serverFlag is " --server URL" when --server was given, for the commands
// the CLI suggests.
func (r *remote) serverFlag() string {
	if r.server == "" {
		return ""
	}
	return " --server " + shellQuote(r.server)
}

func newRunWaitCmd(stdout, stderr io.Writer) *cobra.Command {
	r := newRemote(stdout, stderr)
	cmd := &cobra.Command{
		Use:   "wait RUN_ID",
		Short: "Follow a run on the server until it ends",
		Long: `Follow a run, printing one line per task state change. The exit status is
the run's: 0 succeeded, 1 failed, 130 canceled. Ctrl-C stops following and
leaves the run going on: exit status 3.`,
		Args: cobra.ExactArgs(1),
		RunE: r.runE(func(ctx context.Context, c *client.Client, args []string) error {
			if err := resolveArg(ctx, c, client.KindRun, args); err != nil {
				return err
			}
			return r.follow(ctx, c, args[0], nil)
		}),
	}
	return r.flags(cmd, true)
}

func newRunListCmd(stdout, stderr io.Writer) *cobra.Command {
	r := newRemote(stdout, stderr)
	var opts client.ListOptions
	var exp, state string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List runs on the server, newest first",
		Args:  cobra.NoArgs,
		RunE: r.runE(func(ctx context.Context, c *client.Client, args []string) error {
			expID := ""
			if exp != "" {
				e, err := experimentArg(ctx, c, exp)
				if err != nil {
					return err
				}
				expID = e.ExperimentID
			}
			if state != "" {
				opts.Filter = client.Equals("state", strings.ToUpper(state))
			}
			opts.SortBy = "created_at desc"
			l, err := c.ListRuns(ctx, expID, opts)
			if err != nil {
				return err
			}
			return r.output(l, func() {
				t := newTable(stdout, "RUN ID", "NAME", "STATE", "CREATED", "DURATION")
				for _, run := range l.Runs {
					t.row(run.RunID, run.DisplayName, string(run.State), fmtTime(run.CreatedAt), span(run.CreatedAt, run.FinishedAt))
				}
				t.flush()
				nextPage(stdout, l.NextPageToken)
			})
		}),
	}
	cmd.Flags().StringVar(&exp, "experiment", "", "only runs of this experiment (`ID or name`)")
	cmd.Flags().StringVar(&state, "state", "", "only runs in this state (PENDING, RUNNING, SUCCEEDED, FAILED, CANCELING, CANCELED)")
	listFlags(cmd, &opts)
	return r.flags(cmd, true)
}

func newRunGetCmd(stdout, stderr io.Writer) *cobra.Command {
	r := newRemote(stdout, stderr)
	cmd := &cobra.Command{
		Use:   "get RUN_ID",
		Short: "Show a run on the server and its tasks",
		Args:  cobra.ExactArgs(1),
		RunE: r.runE(func(ctx context.Context, c *client.Client, args []string) error {
			if err := resolveArg(ctx, c, client.KindRun, args); err != nil {
				return err
			}
			run, err := c.GetRun(ctx, args[0])
			if err != nil {
				return err
			}
			return r.output(run, func() { printRun(stdout, run) })
		}),
	}
	return r.flags(cmd, true)
}

// pipelineSource words where a run's spec comes from: a stored pipeline
// (and version), or an inline spec.
func pipelineSource(ref *wire.PipelineVersionReference) string {
	if ref == nil {
		return "inline spec"
	}
	if ref.PipelineVersionID != "" {
		return ref.PipelineID + " version " + ref.PipelineVersionID
	}
	return ref.PipelineID
}

func printRun(w io.Writer, run *wire.Run) {
	pipeline := pipelineSource(run.PipelineVersionReference)
	var params, root, errMsg string
	if rc := run.RuntimeConfig; rc != nil {
		params, root = fmtParams(rc.Parameters), rc.PipelineRoot
	}
	if run.Error != nil {
		errMsg = run.Error.Message
	}
	finished := fmtTime(run.FinishedAt)
	if d := span(run.CreatedAt, run.FinishedAt); d != "" {
		finished += " (" + d + ")"
	}
	kv(w, "Run", run.RunID, "Name", run.DisplayName, "State", string(run.State), "Experiment", run.ExperimentID,
		"Pipeline", pipeline, "Parameters", params, "Pipeline root", root, "Recurring run", run.RecurringRunID,
		"Storage", run.StorageState, "Created", fmtTime(run.CreatedAt), "Finished", finished, "Error", errMsg)
	tasks := run.Tasks()
	if len(tasks) == 0 {
		return
	}
	fmt.Fprintln(w)
	t := newTable(w, "TASK", "STATE", "STARTED", "DURATION", "ERROR")
	for _, tk := range tasks {
		msg := ""
		if tk.Error != nil && tk.State != runstate.Succeeded {
			msg = tk.Error.Message
		}
		t.row(tk.TaskID, string(tk.State), fmtTime(tk.StartTime), span(tk.StartTime, tk.EndTime), msg)
	}
	t.flush()
}

func newRunActionCmd(stdout, stderr io.Writer, verb, short, done string,
	do func(*client.Client, context.Context, string) error) *cobra.Command {
	r := newRemote(stdout, stderr)
	wait := false
	cmd := &cobra.Command{
		Use:   verb + " RUN_ID",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: r.runE(func(ctx context.Context, c *client.Client, args []string) error {
			if err := resolveArg(ctx, c, client.KindRun, args); err != nil {
				return err
			}
			var before *wire.Run
			if wait && verb == "retry" {
				// The retried tasks' old states are not news.
				var err error
				if before, err = c.GetRun(ctx, args[0]); err != nil {
					return err
				}
			}
			if err := do(c, ctx, args[0]); err != nil {
				return err
			}
			if !r.json {
				fmt.Fprintf(stdout, "%s run %s\n", done, args[0])
			}
			if wait {
				return r.follow(ctx, c, args[0], before)
			}
			return nil
		}),
	}
	if verb == "cancel" || verb == "retry" {
		cmd.Flags().BoolVar(&wait, "wait", false, "then follow the run until it ends; the exit status is the run's (Ctrl-C stops following, the run goes on: 3)")
		return r.flags(cmd, true)
	}
	return r.flags(cmd, false)
}
