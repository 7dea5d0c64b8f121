package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sluicehq/sluice/client"
	"github.com/sluicehq/sluice/wire"
)

func newRecurringCmd(stdout, stderr io.Writer) *cobra.Command {
	return group("recurring", "Schedule runs on a Sluice server",
		`Recurring runs start runs of a pipeline on a cron schedule or at a fixed
interval.`,
		newRecurringCreateCmd(stdout, stderr),
		newRecurringListCmd(stdout, stderr),
		newRecurringGetCmd(stdout, stderr),
		newRecurringActionCmd(stdout, stderr, "enable", "Let a recurring run start runs again", "Enabled",
			(*client.Client).EnableRecurringRun),
		newRecurringActionCmd(stdout, stderr, "disable", "Stop a recurring run from starting runs", "Disabled",
			(*client.Client).DisableRecurringRun),
		newRecurringActionCmd(stdout, stderr, "delete", "Delete a recurring run (not the runs it started)", "Deleted",
			(*client.Client).DeleteRecurringRun),
	)
}

func newRecurringCreateCmd(stdout, stderr io.Writer) *cobra.Command {
	r := newRemote(stdout, stderr)
	o := &sourceOpts{}
	var cron, every string
	var maxConc int64
	var noCatchup, disabled bool
	cmd := &cobra.Command{
		Use:   "create (--pipeline ID_OR_NAME | FILE) (--cron EXPR | --every DURATION) --name NAME",
		Short: "Create a recurring run",
		Long: `Create a recurring run of a pipeline stored on the server (its latest version
unless --version; the version is pinned now) or of a local file (sent inline).
--cron takes 5 fields, 6 fields with leading seconds (KFP's form, e.g.
"0 0 9 * * 1-5"), or a descriptor such as @hourly; --every takes a duration
such as 1h or 90s. Each -p is checked against the pipeline's parameters.`,
		Args: cobra.MaximumNArgs(1),
		RunE: r.runOwnClient(func(ctx context.Context, args []string) error {
			if (cron == "") == (every == "") {
				return usagef("give exactly one of --cron and --every")
			}
			var interval time.Duration
			if every != "" {
				d, err := time.ParseDuration(every)
				if err != nil || d < time.Second || d%time.Second != 0 {
					return usagef("--every %q: expected a whole number of seconds, at least 1s (e.g. 90s, 15m, 1h)", every)
				}
				interval = d
			}
			if maxConc < 1 {
				return usagef("--max-concurrency %d: must be at least 1", maxConc)
			}
			c, src, err := o.resolve(ctx, r, args)
			if err != nil {
				return err
			}
			exp, err := experimentID(ctx, c, o.experiment, stderr)
			if err != nil {
				return err
			}
			rr, err := c.CreateRecurringRun(ctx, client.CreateRecurringRunRequest{
				ExperimentID: exp, DisplayName: o.name, Description: o.description,
				PipelineSpec: src.inline, PipelineID: src.pipelineID, PipelineVersionID: src.versionID,
				Parameters: src.params, PipelineRoot: o.pipelineRoot,
				Cron: cron, Interval: interval, MaxConcurrency: maxConc, NoCatchup: noCatchup, Enabled: !disabled,
			})
			if err != nil {
				return err
			}
			return r.output(rr, func() {
				fmt.Fprintf(stdout, "Created recurring run %s: %s (%s, %s)\n", rr.DisplayName, rr.RecurringRunID, trigger(rr.Trigger), rr.Status)
			})
		}),
	}
	o.flags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.name, "name", "", "name of the recurring run (required)")
	f.StringVar(&cron, "cron", "", "cron schedule (`EXPR`)")
	f.StringVar(&every, "every", "", "interval between runs (`DURATION`, e.g. 1h)")
	f.Int64Var(&maxConc, "max-concurrency", 1, "runs of it active at once (1-10)")
	f.BoolVar(&noCatchup, "no-catchup", false, "after a pause, start one run instead of one per missed interval")
	f.BoolVar(&disabled, "disabled", false, "create it disabled")
	_ = cmd.MarkFlagRequired("name")
	return r.flags(cmd, true)
}

// trigger describes a schedule.
func trigger(t *wire.Trigger) string {
	switch {
	case t == nil:
		return ""
	case t.CronSchedule != nil:
		return "cron " + t.CronSchedule.Cron
	case t.PeriodicSchedule != nil:
		return "every " + fmtEvery(time.Duration(t.PeriodicSchedule.IntervalSecond)*time.Second)
	}
	return ""
}

// fmtEvery shows an interval without zero units: 1h, 1h30m, 90s as 1m30s.
func fmtEvery(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

func newRecurringListCmd(stdout, stderr io.Writer) *cobra.Command {
	r := newRemote(stdout, stderr)
	var opts client.ListOptions
	var exp string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List recurring runs",
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
			l, err := c.ListRecurringRuns(ctx, expID, opts)
			if err != nil {
				return err
			}
			return r.output(l, func() {
				t := newTable(stdout, "RECURRING RUN ID", "NAME", "STATUS", "TRIGGER", "MAX CONCURRENCY", "CREATED")
				for _, rr := range l.RecurringRuns {
					t.row(rr.RecurringRunID, rr.DisplayName, rr.Status, trigger(rr.Trigger),
						strconv.FormatInt(int64(rr.MaxConcurrency), 10), fmtTime(rr.CreatedAt))
				}
				t.flush()
				nextPage(stdout, l.NextPageToken)
			})
		}),
	}
	cmd.Flags().StringVar(&exp, "experiment", "", "only those of this experiment (`ID or name`)")
	listFlags(cmd, &opts)
	return r.flags(cmd, true)
}

func newRecurringGetCmd(stdout, stderr io.Writer) *cobra.Command {
	r := newRemote(stdout, stderr)
	cmd := &cobra.Command{
		Use:   "get ID",
		Short: "Show a recurring run",
		Args:  cobra.ExactArgs(1),
		RunE: r.runE(func(ctx context.Context, c *client.Client, args []string) error {
			if err := resolveArg(ctx, c, client.KindRecurringRun, args); err != nil {
				return err
			}
			rr, err := c.GetRecurringRun(ctx, args[0])
			if err != nil {
				return err
			}
			return r.output(rr, func() { printRecurringRun(stdout, rr) })
		}),
	}
	return r.flags(cmd, true)
}

func printRecurringRun(w io.Writer, rr *wire.RecurringRun) {
	pipeline := pipelineSource(rr.PipelineVersionReference)
	var params, errMsg string
	if rr.RuntimeConfig != nil {
		params = fmtParams(rr.RuntimeConfig.Parameters)
	}
	if rr.Error != nil {
		errMsg = rr.Error.Message
	}
	kv(w, "Recurring run", rr.RecurringRunID, "Name", rr.DisplayName, "Description", rr.Description,
		"Status", rr.Status, "Trigger", trigger(rr.Trigger),
		"Max concurrency", strconv.FormatInt(int64(rr.MaxConcurrency), 10),
		"No catchup", strconv.FormatBool(rr.NoCatchup), "Experiment", rr.ExperimentID,
		"Pipeline", pipeline, "Parameters", params,
		"Created", fmtTime(rr.CreatedAt), "Updated", fmtTime(rr.UpdatedAt), "Error", errMsg)
}

func newRecurringActionCmd(stdout, stderr io.Writer, verb, short, done string,
	do func(*client.Client, context.Context, string) error) *cobra.Command {
	r := newRemote(stdout, stderr)
	cmd := &cobra.Command{
		Use:   verb + " ID",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: r.runE(func(ctx context.Context, c *client.Client, args []string) error {
			if err := resolveArg(ctx, c, client.KindRecurringRun, args); err != nil {
				return err
			}
			if err := do(c, ctx, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%s recurring run %s\n", done, args[0])
			return nil
		}),
	}
	return r.flags(cmd, false)
}
