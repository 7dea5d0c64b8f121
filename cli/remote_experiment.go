package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/sluicehq/sluice/client"
)

func newExperimentCmd(stdout, stderr io.Writer) *cobra.Command {
	return group("experiment", "Create and manage experiments on a Sluice server",
		`Experiments group runs. Runs submitted without --experiment go to the
server's default experiment.`,
		newExperimentCreateCmd(stdout, stderr),
		newExperimentListCmd(stdout, stderr),
		newExperimentGetCmd(stdout, stderr),
		newExperimentActionCmd(stdout, stderr, "archive", "Archive an experiment and its runs", "Archived",
			(*client.Client).ArchiveExperiment),
		newExperimentActionCmd(stdout, stderr, "unarchive", "Restore an archived experiment (its runs stay archived)", "Unarchived",
			(*client.Client).UnarchiveExperiment),
		newExperimentActionCmd(stdout, stderr, "delete", "Delete an experiment (not its runs)", "Deleted",
			(*client.Client).DeleteExperiment),
	)
}

func newExperimentCreateCmd(stdout, stderr io.Writer) *cobra.Command {
	r := newRemote(stdout, stderr)
	var desc string
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create an experiment",
		Args:  cobra.ExactArgs(1),
		RunE: r.runE(func(ctx context.Context, c *client.Client, args []string) error {
			e, err := c.CreateExperiment(ctx, args[0], desc)
			if err != nil {
				return err
			}
			return r.output(e, func() {
				fmt.Fprintf(stdout, "Created experiment %s: %s\n", e.DisplayName, e.ExperimentID)
			})
		}),
	}
	cmd.Flags().StringVar(&desc, "description", "", "description")
	return r.flags(cmd, true)
}

func newExperimentListCmd(stdout, stderr io.Writer) *cobra.Command {
	r := newRemote(stdout, stderr)
	var opts client.ListOptions
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List experiments",
		Args:  cobra.NoArgs,
		RunE: r.runE(func(ctx context.Context, c *client.Client, args []string) error {
			l, err := c.ListExperiments(ctx, opts)
			if err != nil {
				return err
			}
			return r.output(l, func() {
				t := newTable(stdout, "EXPERIMENT ID", "NAME", "STATE", "CREATED", "LAST RUN", "DESCRIPTION")
				for _, e := range l.Experiments {
					t.row(e.ExperimentID, e.DisplayName, e.StorageState, fmtTime(e.CreatedAt), fmtTime(e.LastRunCreatedAt), e.Description)
				}
				t.flush()
				nextPage(stdout, l.NextPageToken)
			})
		}),
	}
	listFlags(cmd, &opts)
	return r.flags(cmd, true)
}

func newExperimentGetCmd(stdout, stderr io.Writer) *cobra.Command {
	r := newRemote(stdout, stderr)
	cmd := &cobra.Command{
		Use:   "get ID_OR_NAME",
		Short: "Show an experiment",
		Args:  cobra.ExactArgs(1),
		RunE: r.runE(func(ctx context.Context, c *client.Client, args []string) error {
			e, err := experimentArg(ctx, c, args[0])
			if err != nil {
				return err
			}
			return r.output(e, func() {
				kv(stdout, "Experiment", e.ExperimentID, "Name", e.DisplayName, "Description", e.Description,
					"State", e.StorageState, "Created", fmtTime(e.CreatedAt), "Last run", fmtTime(e.LastRunCreatedAt))
			})
		}),
	}
	return r.flags(cmd, true)
}

func newExperimentActionCmd(stdout, stderr io.Writer, verb, short, done string,
	do func(*client.Client, context.Context, string) error) *cobra.Command {
	r := newRemote(stdout, stderr)
	cmd := &cobra.Command{
		Use:   verb + " ID_OR_NAME",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: r.runE(func(ctx context.Context, c *client.Client, args []string) error {
			e, err := experimentArg(ctx, c, args[0])
			if err != nil {
				return err
			}
			if err := do(c, ctx, e.ExperimentID); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%s experiment %s (%s)\n", done, e.DisplayName, e.ExperimentID)
			return nil
		}),
	}
	return r.flags(cmd, false)
}
