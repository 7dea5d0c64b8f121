package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/sluicehq/sluice/client"
)

func newRunLogsCmd(stdout, stderr io.Writer) *cobra.Command {
	r := newRemote(stdout, stderr)
	var follow bool
	cmd := &cobra.Command{
		Use:   "logs RUN_ID [TASK_ID]",
		Short: "Print the logs of a run's tasks (-f follows a running task)",
		Long: `Print a task's stdout and stderr as kept by the server. Without TASK_ID,
the logs of every task that ran a process, each under a header. TASK_ID
is the task's path in the run, as 'sluice run get' shows it
(e.g. for-loop-2/0/train). With -f and a TASK_ID, follow the log while
the task runs.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: r.runE(func(ctx context.Context, c *client.Client, args []string) error {
			if err := resolveArg(ctx, c, client.KindRun, args); err != nil {
				return err
			}
			if len(args) == 2 {
				if follow {
					state, err := c.FollowTaskLog(ctx, args[0], args[1], func(l string) { fmt.Fprintln(stdout, l) })
					if err != nil {
						return err
					}
					fmt.Fprintf(stderr, "sluice: task %s %s\n", args[1], state)
					return nil
				}
				log, err := c.TaskLog(ctx, args[0], args[1])
				if err != nil {
					return err
				}
				fmt.Fprint(stdout, log)
				return nil
			}
			if follow {
				return usagef("-f needs a TASK_ID (see 'sluice run get %s')", args[0])
			}
			tasks, err := c.Tasks(ctx, args[0])
			if err != nil {
				return err
			}
			printed := 0
			for _, t := range tasks {
				if !t.HasLog {
					continue
				}
				log, err := c.TaskLog(ctx, args[0], t.TaskID)
				if err != nil {
					return err
				}
				fmt.Fprintf(stdout, "==> %s (%s) <==\n%s", t.TaskID, t.State, log)
				if len(log) > 0 && log[len(log)-1] != '\n' {
					fmt.Fprintln(stdout)
				}
				printed++
			}
			if printed == 0 {
				fmt.Fprintln(stderr, "sluice: no task of this run has a log yet")
			}
			return nil
		}),
	}
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "follow the task's log while it runs")
	return r.flags(cmd, false)
}
