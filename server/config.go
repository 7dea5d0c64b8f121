package server

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/api"
	"github.com/sluicehq/sluice/artifact"
	"github.com/sluicehq/sluice/executor"
)

// Config is everything `sluice server` can be told. Each field has a flag
// and a SLUICE_* environment variable (see FromEnv).
type Config struct {
	// Addr is the listen address (SLUICE_ADDR, default 127.0.0.1:8888).
	Addr string
	// Data is the data directory: SQLite file, artifacts, logs, cache
	// (SLUICE_DATA, default ~/.sluice).
	Data string
	// DB is the database: empty for <Data>/sluice.db, a file path, or a
	// postgres:// URL (SLUICE_DB).
	DB string
	// Artifacts is the artifact store and default pipeline root
	// (SLUICE_ARTIFACTS, default <Data>/artifacts): a local directory, or
	// an s3://, minio://, gs:// or azblob:// bucket URL (see package
	// artifact).
	// Task logs are kept there too.
	Artifacts string
	// Executor runs steps (SLUICE_EXECUTOR): "local" (processes on this
	// machine) or "kubernetes" (one pod per step; needs a bucket
	// --artifacts).
	Executor string
	// Kubernetes configures the kubernetes executor.
	Kubernetes KubernetesConfig
	// Token, when set, is required as "Authorization: Bearer <token>"
	// (SLUICE_TOKEN). Binding a non-loopback address requires one.
	Token string
	// AllowedHosts are names the server answers to besides loopback names
	// and the --addr host (SLUICE_ALLOWED_HOSTS, comma-separated): a host
	// name or IP, with or without a port, "*.domain", or "*" for any
	// (see api.Guard).
	AllowedHosts []string
	// AllowPrivatePackageURLs lets pipeline_version.package_url reach
	// loopback, private and link-local addresses
	// (SLUICE_ALLOW_PRIVATE_PACKAGE_URLS); by default only public
	// addresses are fetched.
	AllowPrivatePackageURLs bool
	// AllowedPipelineRoots are local directories, besides a local
	// artifact store, that runs may name as their pipeline root
	// (SLUICE_ALLOWED_PIPELINE_ROOTS, comma-separated absolute paths). A
	// run whose runtime_config.pipeline_root or compiled
	// defaultPipelineRoot is a local directory outside them is refused
	// at creation.
	AllowedPipelineRoots []string
	// MaxConcurrentRuns bounds the runs executing at once
	// (SLUICE_MAX_CONCURRENT_RUNS, default 4).
	MaxConcurrentRuns int
	// Parallelism bounds the steps running at once across all runs
	// (SLUICE_PARALLELISM, default: CPUs).
	Parallelism int
	// NoExamples skips registering the example pipelines on first start
	// (SLUICE_NO_EXAMPLES).
	NoExamples bool
	// LogFormat is how the server's log lines are written: "text"
	// (key=value, the default) or "json", one object a line
	// (SLUICE_LOG_FORMAT; see NewLogger).
	LogFormat string
	// TokenFile and DBFile hold the token and the database URL instead of
	// Token and DB (SLUICE_TOKEN_FILE, SLUICE_DB_FILE): secrets kept out
	// of the command line, which every user of the machine can read
	// (/proc/PID/cmdline). Validate reads them (one trailing newline
	// dropped).
	TokenFile, DBFile string
	// CPUs (cores) and Memory (bytes) are the budget the local executor's
	// running steps' requests never exceed together (SLUICE_CPUS,
	// SLUICE_MEMORY, as quantities: 2, 1500m, 8Gi); zero means this
	// machine's.
	CPUs   float64
	Memory int64
	// StepUser is the account local steps run as (SLUICE_STEP_USER; the
	// server must run as root).
	StepUser string
	// StepEnv names variables of the server's environment every local
	// step gets besides PATH, the locale, TZ and HOME (SLUICE_STEP_ENV,
	// comma-separated).
	StepEnv []string
}

// KubernetesConfig configures the kubernetes executor.
type KubernetesConfig struct {
	// Kubeconfig is the kubeconfig file (SLUICE_KUBECONFIG; default: the
	// in-cluster service account when running in a pod, else $KUBECONFIG
	// or ~/.kube/config).
	Kubeconfig string
	// Namespace is where step pods run (SLUICE_NAMESPACE; default: the
	// server's own namespace in a cluster, else "default").
	Namespace string
	// LauncherImage holds the launcher binary at /sluice-launch, copied into each
	// pod by an init container (SLUICE_LAUNCHER_IMAGE, default sluice:latest).
	LauncherImage string
	// LauncherHostPath is a directory on every node holding the launcher
	// binary (sluice-launch); pods mount it instead of copying the binary in from
	// LauncherImage (SLUICE_LAUNCHER_HOST_PATH).
	LauncherHostPath string
	// ServiceAccount runs the step pods (SLUICE_STEP_SERVICE_ACCOUNT).
	ServiceAccount string
	// ArtifactsSecret names a secret whose keys become the launcher's
	// environment: the artifact store's credentials, such as
	// AWS_ACCESS_KEY_ID (SLUICE_ARTIFACTS_SECRET).
	ArtifactsSecret string
	// PodArtifacts is the artifact store URL as pods reach it, when it
	// differs from the server's (another endpoint) (SLUICE_POD_ARTIFACTS).
	PodArtifacts string
	// KeepPods keeps finished pods this long before deleting them
	// (SLUICE_KEEP_PODS, default 0: deleted once their logs are read;
	// logs stay in the artifact store).
	KeepPods time.Duration
	// PodStartTimeout fails a step whose pod is still pending after this
	// long (SLUICE_POD_START_TIMEOUT, default 10m): unschedulable, a volume
	// that cannot be mounted. Its Warning events are in the step's log.
	PodStartTimeout time.Duration
	// HostNetwork runs step pods in the node's network (SLUICE_POD_HOST_NETWORK),
	// for single-node clusters whose object store listens on loopback.
	HostNetwork bool
}

// Defaults returns the default configuration.
func Defaults() Config {
	home, err := os.UserHomeDir()
	if err != nil {
		home = "."
	}
	data := filepath.Join(home, ".sluice")
	if h := os.Getenv("SLUICE_HOME"); h != "" {
		data = h
	}
	return Config{
		Addr:              "127.0.0.1:8888",
		Data:              data,
		Executor:          "local",
		Kubernetes:        KubernetesConfig{LauncherImage: "sluice:latest"},
		MaxConcurrentRuns: 4,
		Parallelism:       runtime.NumCPU(),
		LogFormat:         "text",
	}
}

// FromEnv overrides c with the SLUICE_* variables that are set.
func (c *Config) FromEnv(getenv func(string) string) error {
	str := func(name string, dst *string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	num := func(name string, dst *int) error {
		if v := getenv(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("%s=%q: not a number", name, v)
			}
			*dst = n
		}
		return nil
	}
	str("SLUICE_ADDR", &c.Addr)
	str("SLUICE_DATA", &c.Data)
	str("SLUICE_DB", &c.DB)
	str("SLUICE_ARTIFACTS", &c.Artifacts)
	str("SLUICE_EXECUTOR", &c.Executor)
	str("SLUICE_TOKEN", &c.Token)
	str("SLUICE_LOG_FORMAT", &c.LogFormat)
	str("SLUICE_TOKEN_FILE", &c.TokenFile)
	str("SLUICE_DB_FILE", &c.DBFile)
	str("SLUICE_STEP_USER", &c.StepUser)
	if v := getenv("SLUICE_STEP_ENV"); v != "" {
		c.StepEnv = nil
		for _, n := range strings.Split(v, ",") {
			if n = strings.TrimSpace(n); n != "" {
				c.StepEnv = append(c.StepEnv, n)
			}
		}
	}
	if v := getenv("SLUICE_CPUS"); v != "" {
		n, err := executor.ParseCPU("SLUICE_CPUS", v)
		if err != nil {
			return err
		}
		c.CPUs = n
	}
	if v := getenv("SLUICE_MEMORY"); v != "" {
		n, err := executor.ParseMemory("SLUICE_MEMORY", v)
		if err != nil {
			return err
		}
		c.Memory = n
	}
	if v := getenv("SLUICE_ALLOWED_HOSTS"); v != "" {
		hosts, err := api.ParseAllowedHosts(v)
		if err != nil {
			return fmt.Errorf("SLUICE_ALLOWED_HOSTS: %v", err)
		}
		c.AllowedHosts = hosts
	}
	if v := getenv("SLUICE_ALLOWED_PIPELINE_ROOTS"); v != "" {
		c.AllowedPipelineRoots = splitList(v)
	}
	str("SLUICE_KUBECONFIG", &c.Kubernetes.Kubeconfig)
	str("SLUICE_NAMESPACE", &c.Kubernetes.Namespace)
	str("SLUICE_LAUNCHER_IMAGE", &c.Kubernetes.LauncherImage)
	str("SLUICE_LAUNCHER_HOST_PATH", &c.Kubernetes.LauncherHostPath)
	str("SLUICE_STEP_SERVICE_ACCOUNT", &c.Kubernetes.ServiceAccount)
	str("SLUICE_ARTIFACTS_SECRET", &c.Kubernetes.ArtifactsSecret)
	str("SLUICE_POD_ARTIFACTS", &c.Kubernetes.PodArtifacts)
	for name, dst := range map[string]*time.Duration{"SLUICE_KEEP_PODS": &c.Kubernetes.KeepPods, "SLUICE_POD_START_TIMEOUT": &c.Kubernetes.PodStartTimeout} {
		if v := getenv(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("%s=%q: not a duration", name, v)
			}
			*dst = d
		}
	}
	if v := getenv("SLUICE_POD_HOST_NETWORK"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("SLUICE_POD_HOST_NETWORK=%q: not a boolean", v)
		}
		c.Kubernetes.HostNetwork = b
	}
	if err := num("SLUICE_MAX_CONCURRENT_RUNS", &c.MaxConcurrentRuns); err != nil {
		return err
	}
	if err := num("SLUICE_PARALLELISM", &c.Parallelism); err != nil {
		return err
	}
	if v := getenv("SLUICE_ALLOW_PRIVATE_PACKAGE_URLS"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("SLUICE_ALLOW_PRIVATE_PACKAGE_URLS=%q: not a boolean", v)
		}
		c.AllowPrivatePackageURLs = b
	}
	if v := getenv("SLUICE_NO_EXAMPLES"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("SLUICE_NO_EXAMPLES=%q: not a boolean", v)
		}
		c.NoExamples = b
	}
	return nil
}

// Validate checks the configuration and fills derived defaults.
func (c *Config) Validate() error {
	if c.Data == "" {
		return errors.New("--data: empty")
	}
	switch c.LogFormat {
	case "":
		c.LogFormat = "text"
	case "text", "json":
	default:
		return fmt.Errorf("--log-format: %q is neither text nor json", c.LogFormat)
	}
	if err := readSecret("--token-file", &c.TokenFile, &c.Token); err != nil {
		return err
	}
	if err := readSecret("--db-file", &c.DBFile, &c.DB); err != nil {
		return err
	}
	if c.CPUs < 0 {
		return fmt.Errorf("--cpus %g: must not be negative", c.CPUs)
	}
	if c.Memory < 0 {
		return fmt.Errorf("--memory %d: must not be negative", c.Memory)
	}
	for _, n := range c.StepEnv {
		if n == "" || strings.ContainsAny(n, "= \x00") {
			return fmt.Errorf("--step-env %q: want the name of a variable", n)
		}
	}
	if c.Artifacts == "" {
		c.Artifacts = filepath.Join(c.Data, "artifacts")
	}
	if scheme, _, ok := strings.Cut(c.Artifacts, "://"); ok && scheme != "file" {
		switch scheme {
		case "s3", "minio", "gs", "azblob":
			if err := artifact.CheckScheme(scheme); err != nil {
				return fmt.Errorf("--artifacts: %w", err)
			}
		default:
			return fmt.Errorf("--artifacts: unsupported scheme %q (want a directory, s3://, minio://, gs:// or azblob://)", scheme)
		}
	} else {
		c.Artifacts = strings.TrimPrefix(c.Artifacts, "file://")
	}
	if c.DB == "" {
		c.DB = filepath.Join(c.Data, "sluice.db")
	}
	for i, p := range c.AllowedPipelineRoots {
		p = strings.TrimPrefix(p, "file://")
		if !filepath.IsAbs(p) {
			return fmt.Errorf("--allowed-pipeline-roots %q: not an absolute path", c.AllowedPipelineRoots[i])
		}
		c.AllowedPipelineRoots[i] = filepath.Clean(p)
	}
	switch c.Executor {
	case "local":
	case "kubernetes":
		if !strings.Contains(c.Artifacts, "://") {
			return errors.New("--executor kubernetes: pods cannot reach a local artifact directory: set --artifacts to a bucket (s3://..., minio://..., gs://..., azblob://...)")
		}
		if c.Kubernetes.LauncherImage == "" && c.Kubernetes.LauncherHostPath == "" {
			return errors.New("--executor kubernetes: --launcher-image is empty")
		}
		if p := c.Kubernetes.LauncherHostPath; p != "" && !strings.HasPrefix(p, "/") {
			return fmt.Errorf("--launcher-host-path %q: must be an absolute path on the nodes", p)
		}
		if c.Kubernetes.KeepPods < 0 {
			return fmt.Errorf("--keep-pods %s: must not be negative", c.Kubernetes.KeepPods)
		}
		if c.Kubernetes.PodStartTimeout < 0 {
			return fmt.Errorf("--pod-start-timeout %s: must not be negative", c.Kubernetes.PodStartTimeout)
		}
	default:
		return fmt.Errorf("--executor %q: want \"local\" or \"kubernetes\"", c.Executor)
	}
	if c.MaxConcurrentRuns < 1 {
		return fmt.Errorf("--max-concurrent-runs %d: must be at least 1", c.MaxConcurrentRuns)
	}
	if c.Parallelism < 1 {
		return fmt.Errorf("--parallelism %d: must be at least 1", c.Parallelism)
	}
	if _, err := api.NewGuard(c.Addr, c.AllowedHosts); err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %v", c.Addr, err)
	}
	if !isLoopback(host) && c.Token == "" {
		return fmt.Errorf("--addr %q is not a loopback address: set --token (or SLUICE_TOKEN) so that the API is not open to the network", c.Addr)
	}
	return nil
}

// readSecret reads a secret's file into *dst (once: the file name is
// cleared), refusing an empty file and a secret also given directly.
func readSecret(flag string, file, dst *string) error {
	if *file == "" {
		return nil
	}
	if *dst != "" {
		return fmt.Errorf("%s: the value is also given directly; give one of them", flag)
	}
	b, err := os.ReadFile(*file)
	if err != nil {
		return fmt.Errorf("%s: %w", flag, err)
	}
	v := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	if strings.TrimSpace(v) == "" {
		return fmt.Errorf("%s %s: the file is empty", flag, *file)
	}
	if strings.ContainsAny(v, "\n\x00") {
		return fmt.Errorf("%s %s: the file holds more than one line", flag, *file)
	}
	*dst, *file = v, ""
	return nil
}

// DSNHasPassword reports whether a database URL holds a password (the
// server warns when one is on its command line, which every user of the
// machine can read in /proc/PID/cmdline).
func DSNHasPassword(dsn string) bool {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		return strings.Contains(dsn, "password=")
	}
	if _, ok := u.User.Password(); ok {
		return true
	}
	return u.Query().Get("password") != "" || strings.Contains(dsn, "password=")
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// NewLogger returns the server's logger writing to w at info level, as
// LogFormat says: text (key=value) or json (one object a line).
func (c *Config) NewLogger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
