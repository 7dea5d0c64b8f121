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
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/executor"
	"github.com/sluicehq/sluice/executor/local"
	"github.com/sluicehq/sluice/launcher"
	"github.com/sluicehq/sluice/plan"
	"github.com/sluicehq/sluice/runstate"
	"github.com/sluicehq/sluice/spec"
	"github.com/sluicehq/sluice/usage"
)

type runOpts struct {
	params       []string
	pipelineRoot string
	noCache      bool
	json         bool
	parallelism  int
	cpus, memory string
	stepUser     string
	stepEnv      []string
}

func newRunCmd(stdout, stderr io.Writer) *cobra.Command {
	o := &runOpts{}
	cmd := &cobra.Command{
		Use:   "run FILE",
		Short: "Run a pipeline locally, or manage runs on a server (run submit, list, get...)",
		Long: `Run a compiled pipeline (IR YAML or JSON, zip, tar.gz) or a v1 component
file on this machine. Each step runs as a local process; artifacts go under
the pipeline root. Exit status is 0 only when the run succeeded.

The subcommands (submit, list, get, wait, cancel, retry...) work with runs
on a Sluice server instead; to run a local file named like one, write ./NAME.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLocal(cmd.Context(), args[0], o, stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.StringArrayVarP(&o.params, "param", "p", nil, "run parameter `name=value` (repeatable); parsed by the parameter's declared type")
	f.StringVar(&o.pipelineRoot, "pipeline-root", "", "directory for artifacts (default $SLUICE_HOME/artifacts)")
	f.BoolVar(&o.noCache, "no-cache", false, "do not use or fill the step cache")
	f.BoolVar(&o.json, "json", false, "print one JSON object with the result instead of progress lines")
	f.IntVar(&o.parallelism, "parallelism", 0, "steps run at once (default: number of CPUs)")
	f.StringVar(&o.cpus, "cpus", "", "CPU budget: running steps' CPU requests never exceed it together, e.g. 2 or 1500m (default: this machine's CPUs)")
	f.StringVar(&o.memory, "memory", "", "memory budget: running steps' memory requests never exceed it together, e.g. 8Gi (default: this machine's memory)")
	f.StringVar(&o.stepUser, "step-user", "", "run steps as this user (name or uid; needs root): they cannot read what only this user can")
	f.StringArrayVar(&o.stepEnv, "step-env", envList("SLUICE_STEP_ENV"), "pass this variable of sluice's environment on to every step (repeatable; default $SLUICE_STEP_ENV, comma-separated): steps otherwise get only PATH, the locale, TZ and HOME")
	addRemoteRunCmds(cmd, stdout, stderr)
	return cmd
}

func loadFile(path string) (*spec.Pipeline, error) {
	data, err := readInput(path)
	if err != nil {
		return nil, usagef("%v", err)
	}
	p, err := spec.Load(data)
	if err == nil {
		err = plan.CheckExpressions(p.Spec)
	}
	if err != nil {
		if h := sourceHint(path, data); h != "" {
			return nil, usagef("%s", h)
		}
		return nil, usagef("%s: %v", path, err)
	}
	return p, nil
}

func readInput(path string) ([]byte, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, errors.New(dirHint(path))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, spec.MaxPackageSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > spec.MaxPackageSize {
		return nil, fmt.Errorf("%s is larger than %d MiB", path, spec.MaxPackageSize>>20)
	}
	return b, nil
}

// parseParams turns -p name=value flags into typed values.
func parseParams(ps *spec.PipelineSpec, flags []string) (map[string]any, error) {
	text := map[string]string{}
	for _, kv := range flags {
		name, val, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			return nil, usagef("-p %q: expected name=value", kv)
		}
		text[name] = val
	}
	params, err := plan.ParseRootParams(ps, text)
	if err != nil {
		return nil, paramUsage(err)
	}
	return params, nil
}

// paramUsage words a parameter error for the command line.
func paramUsage(err error) error {
	var pe *plan.ParamError
	if !errors.As(err, &pe) {
		return err
	}
	switch pe.Problem {
	case plan.UnknownParam:
		if len(pe.Known) == 0 {
			return usagef("unknown parameter %q: the pipeline takes no parameters", pe.Name)
		}
		return usagef("unknown parameter %q (known: %s)", pe.Name, strings.Join(pe.Known, ", "))
	case plan.MissingParam:
		return usagef("%v (pass -p %s=...)", pe, pe.Name)
	}
	return usagef("%v", pe)
}

// newEngine builds an engine with the local executor under the data dir.
func newEngine(parallelism int) (*engine.Engine, error) {
	return newLocalEngine(parallelism, &local.Executor{}, nil)
}

// newLocalEngine builds an engine running steps with ex under the data
// dir, admitting them against budget (none when nil).
func newLocalEngine(parallelism int, ex executor.Executor, budget *engine.Budget) (*engine.Engine, error) {
	h := home()
	l, err := launcher.New(context.Background(), h, ex)
	if err != nil {
		return nil, err
	}
	return &engine.Engine{
		Launcher:    l,
		Parallelism: parallelism,
		DefaultRoot: filepath.Join(h, "artifacts"),
		Cache:       &engine.FileCache{Dir: filepath.Join(h, "cache")},
		Budget:      budget,
	}, nil
}

// budgetFlags reads --cpus and --memory over the machine's budget.
func budgetFlags(cpus, memory string) (*engine.Budget, error) {
	b := engine.MachineBudget()
	if cpus != "" {
		c, err := executor.ParseCPU("--cpus", cpus)
		if err != nil {
			return nil, usagef("%v", err)
		}
		if c <= 0 {
			return nil, usagef("--cpus %q: must be more than zero", cpus)
		}
		b.CPU = c
	}
	if memory != "" {
		m, err := executor.ParseMemory("--memory", memory)
		if err != nil {
			return nil, usagef("%v", err)
		}
		if m <= 0 {
			return nil, usagef("--memory %q: must be more than zero", memory)
		}
		b.Memory = m
	}
	return b, nil
}

// envList reads a comma-separated list from the environment.
func envList(name string) []string {
	var out []string
	for _, v := range strings.Split(os.Getenv(name), ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// stepEnvFlag checks the --step-env names and gives the steps' base
// environment.
func stepEnvFlag(names []string) ([]string, error) {
	for _, n := range names {
		if n == "" || strings.ContainsAny(n, "= \x00") {
			return nil, usagef("--step-env %q: want the name of a variable", n)
		}
	}
	return local.CleanEnvWith(names...), nil
}

// stepUserFlag looks up --step-user.
func stepUserFlag(name string) (*executor.User, error) {
	if name == "" {
		return nil, nil
	}
	u, err := executor.LookupUser(name)
	if err != nil {
		return nil, usagef("--step-user: %v", err)
	}
	if os.Geteuid() != 0 {
		return nil, usagef("--step-user %s: only root can run steps as another user", name)
	}
	return u, nil
}

func runLocal(ctx context.Context, path string, o *runOpts, stdout, stderr io.Writer) error {
	budget, err := budgetFlags(o.cpus, o.memory)
	if err != nil {
		return err
	}
	user, err := stepUserFlag(o.stepUser)
	if err != nil {
		return err
	}
	env, err := stepEnvFlag(o.stepEnv)
	if err != nil {
		return err
	}
	p, err := loadFile(path)
	if err != nil {
		return err
	}
	params, err := parseParams(p.Spec, o.params)
	if err != nil {
		return err
	}
	if strings.Contains(o.pipelineRoot, "://") && !strings.HasPrefix(o.pipelineRoot, "file://") {
		return usagef("--pipeline-root %q: a local run needs a local directory (or a file:// URI)", o.pipelineRoot)
	}
	e, err := newLocalEngine(o.parallelism, &local.Executor{User: user, BaseEnv: env}, budget)
	if err != nil {
		return err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		// After the first Ctrl-C the run winds down; a second one exits at once.
		<-ctx.Done()
		stop()
	}()
	req := &engine.Request{Pipeline: p, Params: params, PipelineRoot: o.pipelineRoot, NoCache: o.noCache}
	if !o.json {
		req.Recorder = &progress{w: stdout}
		fmt.Fprintf(stdout, "Running %s\n", p.Spec.PipelineInfo.Name)
	}
	res, err := e.Run(ctx, req)
	if err != nil {
		if pe := (*plan.ParamError)(nil); errors.As(err, &pe) {
			return paramUsage(err)
		}
		return &exitError{code: ExitFailed, msg: err.Error()}
	}
	for _, w := range res.Warnings {
		fmt.Fprintln(stderr, "sluice: warning: "+w)
	}
	if o.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(jsonResult(res)); err != nil {
			return err
		}
	} else {
		printSummary(stdout, res)
	}
	return runExit(res.State)
}

func fmtDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	}
	return d.Round(10 * time.Millisecond).String()
}

func printSummary(w io.Writer, res *engine.Result) {
	fmt.Fprintf(w, "Run %s %s in %s\n", res.RunID, res.State, fmtDuration(res.Finished.Sub(res.Started)))
	if res.Error != "" {
		fmt.Fprintf(w, "  %s\n", oneLine(res.Error))
	}
	var failed []failedStep
	for _, t := range res.Tasks {
		if t.State == runstate.Failed && t.LogTail != "" {
			failed = append(failed, failedStep{id: t.ID, tail: t.LogTail, seeAll: "cat " + shellQuote(t.LogURI)})
		}
	}
	printTails(w, failed)
	outs := outputValues(&res.Outputs)
	if len(outs) > 0 {
		fmt.Fprintln(w, "Outputs:")
		keys := make([]string, 0, len(outs))
		for k := range outs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			b, _ := json.Marshal(outs[k])
			fmt.Fprintf(w, "  %s = %s\n", k, b)
		}
	}
	printResources(w, res.Tasks)
	fmt.Fprintf(w, "Artifacts and logs: %s\n", res.RunRoot)
}

// printResources is the per-task table: each step's state, duration, CPU
// time and peak memory (its last attempt's).
func printResources(w io.Writer, tasks []*engine.Task) {
	var steps []*engine.Task
	for _, t := range tasks {
		if t.Kind == engine.KindContainer {
			steps = append(steps, t)
		}
	}
	if len(steps) == 0 {
		return
	}
	fmt.Fprintln(w, "Tasks:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  TASK\tSTATE\tDURATION\tCPU\tPEAK MEMORY")
	var cpu float64
	var peak int64
	for _, t := range steps {
		dur, c, m := "-", "-", "-"
		switch {
		case t.Cached:
			dur = "cached"
		case !t.Started.IsZero() && !t.Finished.IsZero():
			dur = fmtDuration(t.Finished.Sub(t.Started))
		}
		if u := t.Resources; u != nil && !t.Cached {
			c, m = usage.Seconds(u.CPUSeconds), usage.Bytes(u.PeakMemoryBytes)
			cpu += u.CPUSeconds
			peak = max(peak, u.PeakMemoryBytes)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", t.ID, t.State, dur, c, m)
	}
	if len(steps) > 1 {
		fmt.Fprintf(tw, "  (all steps)\t\t\t%s\t%s (largest)\n", usage.Seconds(cpu), usage.Bytes(peak))
	}
	tw.Flush()
}

// outputValues flattens outputs for display: parameters as values,
// artifacts as their URI (or list of URIs).
func outputValues(o *plan.Outputs) map[string]any {
	out := map[string]any{}
	if o == nil {
		return out
	}
	for k, v := range o.Parameters {
		out[k] = v
	}
	for k, arts := range o.Artifacts {
		if len(arts) == 1 {
			out[k] = arts[0].URI
			continue
		}
		uris := make([]string, len(arts))
		for i, a := range arts {
			uris[i] = a.URI
		}
		out[k] = uris
	}
	return out
}

type jsonTask struct {
	Name     string         `json:"name"`
	Kind     string         `json:"kind"`
	State    runstate.State `json:"state"`
	Cached   bool           `json:"cached"`
	Started  *time.Time     `json:"started"`
	Finished *time.Time     `json:"finished"`
	Attempts int            `json:"attempts,omitempty"`
	Error    string         `json:"error,omitempty"`
	Outputs  map[string]any `json:"outputs"`
	Log      string         `json:"log,omitempty"`
	LogTail  string         `json:"logTail,omitempty"`
	// Resources is what the step's last attempt used (the Contract:
	// cpuSeconds, peakMemoryBytes, wallSeconds, and optional fields).
	Resources *usage.Usage `json:"resources,omitempty"`
}

func jsonResult(res *engine.Result) any {
	tasks := make([]jsonTask, 0, len(res.Tasks))
	for _, t := range res.Tasks {
		jt := jsonTask{Name: t.ID, Kind: t.Kind, State: t.State, Cached: t.Cached, Attempts: t.Attempts,
			Error: t.Error, Outputs: outputValues(t.Outputs), Log: t.LogURI, LogTail: t.LogTail, Resources: t.Resources}
		if !t.Started.IsZero() {
			s := t.Started.UTC()
			jt.Started = &s
		}
		if !t.Finished.IsZero() {
			f := t.Finished.UTC()
			jt.Finished = &f
		}
		tasks = append(tasks, jt)
	}
	return map[string]any{
		"runId":        res.RunID,
		"state":        res.State,
		"error":        res.Error,
		"outputs":      outputValues(&res.Outputs),
		"tasks":        tasks,
		"pipelineRoot": res.PipelineRoot,
		"runRoot":      res.RunRoot,
		"warnings":     append([]string{}, res.Warnings...),
	}
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+:,=@%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
