package cli

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/sluicehq/sluice/server"
)

func newServerCmd(stdout, stderr io.Writer) *cobra.Command {
	cfg := server.Defaults()
	envErr := cfg.FromEnv(os.Getenv)
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Start the Sluice server: KFP-compatible API on embedded defaults",
		Long: `Start the Sluice server. With no flags it keeps everything under ~/.sluice:
an SQLite database, the artifacts and logs, and runs steps as local processes.
It listens on 127.0.0.1:8888 and speaks the KFP v2beta1 REST API, so
kfp.Client(host="http://127.0.0.1:8888") works against it.

Every flag can also be set with a SLUICE_* environment variable
(SLUICE_ADDR, SLUICE_DATA, SLUICE_DB, SLUICE_ARTIFACTS, SLUICE_EXECUTOR,
SLUICE_TOKEN, SLUICE_MAX_CONCURRENT_RUNS, SLUICE_PARALLELISM,
SLUICE_NO_EXAMPLES); flags win.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if envErr != nil {
				return usagef("%v", envErr)
			}
			if err := cfg.Validate(); err != nil {
				return usagef("%v", err)
			}
			log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			srv, err := server.New(ctx, cfg, log)
			if err != nil {
				return &exitError{code: ExitFailed, msg: err.Error()}
			}
			if err := srv.Serve(ctx); err != nil {
				return &exitError{code: ExitFailed, msg: err.Error()}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address (a non-loopback address needs --token)")
	f.StringVar(&cfg.Data, "data", cfg.Data, "data directory: database, artifacts, logs, cache")
	f.StringVar(&cfg.DB, "db", cfg.DB, "database: empty for <data>/sluice.db, a file, or postgres://...")
	f.StringVar(&cfg.Artifacts, "artifacts", cfg.Artifacts, "default pipeline root (default <data>/artifacts)")
	f.StringVar(&cfg.Executor, "executor", cfg.Executor, "where steps run: local")
	f.StringVar(&cfg.Token, "token", cfg.Token, "API token required as 'Authorization: Bearer <token>'")
	f.IntVar(&cfg.MaxConcurrentRuns, "max-concurrent-runs", cfg.MaxConcurrentRuns, "runs executing at once")
	f.IntVar(&cfg.Parallelism, "parallelism", cfg.Parallelism, "steps running at once across all runs")
	f.BoolVar(&cfg.NoExamples, "no-examples", cfg.NoExamples, "do not register the example pipelines on first start")
	return cmd
}
