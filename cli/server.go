package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/sluicehq/sluice/api"
	"github.com/sluicehq/sluice/executor"
	"github.com/sluicehq/sluice/server"
	"github.com/sluicehq/sluice/store"
)

func newServerCmd(stdout, stderr io.Writer) *cobra.Command {
	cfg := server.Defaults()
	envErr := cfg.FromEnv(os.Getenv)
	allowedHosts := strings.Join(cfg.AllowedHosts, ",")
	var cpus, memory string
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Start the Sluice server: KFP-compatible API on embedded defaults",
		Long: `Start the Sluice server. With no flags it keeps everything under ~/.sluice:
an SQLite database, the artifacts and logs, and runs steps as local processes.
It listens on 127.0.0.1:8888 and speaks the KFP v2beta1 REST API, so
kfp.Client(host="http://127.0.0.1:8888") works against it.

Every flag can also be set with a SLUICE_* environment variable
(SLUICE_ADDR, SLUICE_DATA, SLUICE_DB, SLUICE_ARTIFACTS, SLUICE_EXECUTOR,
SLUICE_TOKEN, SLUICE_TOKEN_FILE, SLUICE_DB_FILE, SLUICE_ALLOWED_HOSTS,
SLUICE_ALLOW_PRIVATE_PACKAGE_URLS, SLUICE_ALLOWED_PIPELINE_ROOTS,
SLUICE_MAX_CONCURRENT_RUNS,
SLUICE_PARALLELISM, SLUICE_CPUS, SLUICE_MEMORY, SLUICE_STEP_USER,
SLUICE_STEP_ENV, SLUICE_NO_EXAMPLES, SLUICE_LOG_FORMAT); flags win. Give
secrets by file or environment: the command line is readable by every
user of the machine.

It logs at info level on stderr: its start, each run's start and end (id,
name, pipeline, state, duration, error) and its shutdown; --log-format json
writes one JSON object a line for machines.

Local steps start in a clean environment (PATH, locale, TZ, HOME in their
work directory: never the token, the database URL or cloud credentials),
in a cgroup of their own where the host allows, and everything they start
is killed when they end. They run as the server's user unless
--step-user names another: the local executor is not a sandbox
(docs/SECURITY.md).

The server answers only to loopback names (localhost, 127.0.0.1, [::1])
and the --addr host, at its port, so that no web page can reach it under
a name of its own (DNS rebinding); name others with --allowed-hosts. It
takes writes only from its own web UI or from clients that send no
Origin (kfp.Client, the sluice CLI, curl). See docs/SECURITY.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			if envErr != nil {
				return usagef("%v", envErr)
			}
			if cmd.Flags().Changed("allowed-hosts") {
				hosts, err := api.ParseAllowedHosts(allowedHosts)
				if err != nil {
					return usagef("%v", err)
				}
				cfg.AllowedHosts = hosts
			}
			if cpus != "" {
				if cfg.CPUs, err = executor.ParseCPU("--cpus", cpus); err != nil {
					return usagef("%v", err)
				}
			}
			if memory != "" {
				if cfg.Memory, err = executor.ParseMemory("--memory", memory); err != nil {
					return usagef("%v", err)
				}
			}
			// Secrets on the command line: every user of the machine
			// reads them in /proc/PID/cmdline.
			f := cmd.Flags()
			if f.Changed("token") {
				fmt.Fprintln(stderr, "sluice: warning: --token on the command line can be read by every user of this machine (/proc/PID/cmdline); use --token-file or SLUICE_TOKEN")
			}
			if f.Changed("db") && server.DSNHasPassword(cfg.DB) {
				fmt.Fprintln(stderr, "sluice: warning: the --db URL holds a password that every user of this machine can read on the command line (/proc/PID/cmdline); use --db-file or SLUICE_DB")
			}
			if err := cfg.Validate(); err != nil {
				return usagef("%v", err)
			}
			log := cfg.NewLogger(stderr)
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			srv, err := server.New(ctx, cfg, log)
			if errors.Is(err, store.ErrLocked) || errors.Is(err, store.ErrUnusable) {
				// Another server holds the store, or the database is
				// not one Sluice can use: nothing to retry as is.
				return &exitError{code: ExitUsage, msg: err.Error()}
			}
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
	f.StringVar(&cfg.Artifacts, "artifacts", cfg.Artifacts, "artifact store and default pipeline root: a directory (default <data>/artifacts) or s3://, minio://, gs://, azblob://")
	f.StringVar(&cfg.Executor, "executor", cfg.Executor, "where steps run: local, or kubernetes (one pod per step; needs a bucket --artifacts)")
	f.StringVar(&cfg.Kubernetes.Kubeconfig, "kubeconfig", cfg.Kubernetes.Kubeconfig, "kubernetes: kubeconfig file (default: in-cluster, else $KUBECONFIG or ~/.kube/config)")
	f.StringVar(&cfg.Kubernetes.Namespace, "namespace", cfg.Kubernetes.Namespace, "kubernetes: namespace of the step pods")
	f.StringVar(&cfg.Kubernetes.LauncherImage, "launcher-image", cfg.Kubernetes.LauncherImage, "kubernetes: image holding the launcher binary at /sluice-launch")
	f.StringVar(&cfg.Kubernetes.LauncherHostPath, "launcher-host-path", cfg.Kubernetes.LauncherHostPath, "kubernetes: directory on every node holding sluice-launch; pods mount it instead of copying it in (one container less per step)")
	f.StringVar(&cfg.Kubernetes.ServiceAccount, "step-service-account", cfg.Kubernetes.ServiceAccount, "kubernetes: service account of the step pods")
	f.StringVar(&cfg.Kubernetes.ArtifactsSecret, "artifacts-secret", cfg.Kubernetes.ArtifactsSecret, "kubernetes: secret holding the artifact store credentials for pods")
	f.StringVar(&cfg.Kubernetes.PodArtifacts, "pod-artifacts", cfg.Kubernetes.PodArtifacts, "kubernetes: artifact store URL as pods reach it (default --artifacts)")
	f.DurationVar(&cfg.Kubernetes.PodStartTimeout, "pod-start-timeout", cfg.Kubernetes.PodStartTimeout, "kubernetes: fail a step whose pod is still pending after this long (0: 10m)")
	f.DurationVar(&cfg.Kubernetes.KeepPods, "keep-pods", cfg.Kubernetes.KeepPods, "kubernetes: keep finished pods this long (logs stay in the artifact store)")
	f.BoolVar(&cfg.Kubernetes.HostNetwork, "pod-host-network", cfg.Kubernetes.HostNetwork, "kubernetes: run step pods in the node's network")
	f.StringVar(&cfg.Token, "token", cfg.Token, "API token required as 'Authorization: Bearer <token>' (visible to every user of the machine on the command line: prefer --token-file or SLUICE_TOKEN)")
	f.StringVar(&cfg.TokenFile, "token-file", cfg.TokenFile, "file holding the API token (instead of --token)")
	f.StringVar(&cfg.DBFile, "db-file", cfg.DBFile, "file holding the database URL (instead of --db, for a postgres:// URL with a password)")
	f.StringVar(&cpus, "cpus", "", "CPU budget of local steps: running steps' CPU requests never exceed it together, e.g. 4 or 1500m (default: this machine's CPUs)")
	f.StringVar(&memory, "memory", "", "memory budget of local steps: running steps' memory requests never exceed it together, e.g. 16Gi (default: this machine's memory)")
	f.StringVar(&cfg.StepUser, "step-user", cfg.StepUser, "run local steps as this user (name or uid; the server must run as root): they cannot read the database, the token file or what else only the server's user can")
	f.StringSliceVar(&cfg.StepEnv, "step-env", cfg.StepEnv, "pass these variables of the server's environment on to every local step (comma-separated or repeated): steps otherwise get only PATH, the locale, TZ and HOME")
	f.StringVar(&allowedHosts, "allowed-hosts", allowedHosts, "more Host names the server answers to besides loopback names and the --addr host, comma-separated: NAME, NAME:PORT, *.DOMAIN, or * for any")
	f.BoolVar(&cfg.AllowPrivatePackageURLs, "allow-private-package-urls", cfg.AllowPrivatePackageURLs, "let pipeline_version.package_url fetch from loopback, private and link-local addresses (default: public addresses only)")
	f.StringSliceVar(&cfg.AllowedPipelineRoots, "allowed-pipeline-roots", cfg.AllowedPipelineRoots, "local directories, besides a local --artifacts, that runs may use as their pipeline root and importers may import from (comma-separated absolute paths); runs naming another local pipeline root or importing a local file from elsewhere are refused with 400")
	f.IntVar(&cfg.MaxConcurrentRuns, "max-concurrent-runs", cfg.MaxConcurrentRuns, "runs executing at once")
	f.IntVar(&cfg.Parallelism, "parallelism", cfg.Parallelism, "steps running at once across all runs")
	f.BoolVar(&cfg.NoExamples, "no-examples", cfg.NoExamples, "do not register the example pipelines on first start")
	f.StringVar(&cfg.LogFormat, "log-format", cfg.LogFormat, "log lines on stderr: text (key=value) or json (one object a line)")
	return cmd
}
