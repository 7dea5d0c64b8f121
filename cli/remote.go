package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sluicehq/sluice/client"
	"github.com/sluicehq/sluice/spec"
	"github.com/sluicehq/sluice/wire"
)

// DefaultServer is the server the remote commands talk to when neither
// --server nor $SLUICE_SERVER is set.
const DefaultServer = "http://127.0.0.1:8888"

// remote holds what every command talking to a server needs.
type remote struct {
	server string
	token  string
	json   bool
	stdout io.Writer
	stderr io.Writer
}

// addRemoteCmds registers the commands that talk to a Sluice (or KFP)
// server: pipeline, experiment and recurring (run's are added by
// addRemoteRunCmds).
func addRemoteCmds(root *cobra.Command, stdout, stderr io.Writer) {
	root.AddCommand(newPipelineCmd(stdout, stderr), newExperimentCmd(stdout, stderr), newRecurringCmd(stdout, stderr))
}

func newRemote(stdout, stderr io.Writer) *remote {
	return &remote{stdout: stdout, stderr: stderr}
}

// group returns a command that only holds subcommands.
func group(use, short, long string, subs ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short, Long: long, Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return usagef("%s needs a subcommand (see `sluice %s --help`)", cmd.Name(), cmd.Name())
		}}
	cmd.AddCommand(subs...)
	return cmd
}

// flags adds --server and --token, and --json when json is true.
func (r *remote) flags(cmd *cobra.Command, json bool) *cobra.Command {
	f := cmd.Flags()
	f.StringVar(&r.server, "server", "", "Sluice server URL (default $SLUICE_SERVER, else "+DefaultServer+")")
	f.StringVar(&r.token, "token", "", "API token, sent as 'Authorization: Bearer <token>' (default $SLUICE_TOKEN)")
	if json {
		f.BoolVar(&r.json, "json", false, "print the server's JSON instead of a table")
	}
	return cmd
}

func (r *remote) base() string {
	s := r.server
	if s == "" {
		s = os.Getenv("SLUICE_SERVER")
	}
	if s == "" {
		s = DefaultServer
	}
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	return strings.TrimRight(s, "/")
}

// client returns a client of the server, or a usage error for a bad URL.
func (r *remote) client() (*client.Client, error) {
	base := r.base()
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usagef("--server %q: expected an http:// or https:// URL", base)
	}
	tok := r.token
	if tok == "" {
		tok = os.Getenv("SLUICE_TOKEN")
	}
	return client.New(base, tok, &http.Client{Timeout: 5 * time.Minute}), nil
}

// fail turns an error of a call to the server into an exit error: the
// server's message for a refused request, a hint for an unreachable server.
func (r *remote) fail(err error) error {
	var ee *exitError
	if err == nil || errors.As(err, &ee) {
		return err
	}
	var ae *client.APIError
	if errors.As(err, &ae) {
		msg := ae.Error()
		if ae.Status == http.StatusUnauthorized && r.token == "" && os.Getenv("SLUICE_TOKEN") == "" {
			msg += " (set --token or SLUICE_TOKEN)"
		}
		return &exitError{code: ExitFailed, msg: msg}
	}
	var ue *url.Error
	if errors.As(err, &ue) && !errors.Is(err, context.Canceled) {
		return &exitError{code: ExitFailed, msg: fmt.Sprintf("cannot reach the Sluice server at %s: %v (start it with `sluice server`)", r.base(), ue.Err)}
	}
	return &exitError{code: ExitFailed, msg: err.Error()}
}

// runE is the RunE of a remote command: it makes the client (a bad
// --server is a usage error), runs body and passes its error through
// r.fail.
func (r *remote) runE(body func(ctx context.Context, c *client.Client, args []string) error) func(*cobra.Command, []string) error {
	return r.runOwnClient(func(ctx context.Context, args []string) error {
		c, err := r.client()
		if err != nil {
			return err
		}
		return body(ctx, c, args)
	})
}

// runOwnClient is runE for a command that checks its local input before
// it makes the client itself, so that a bad file is reported first.
func (r *remote) runOwnClient(body func(ctx context.Context, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		return r.fail(body(cmd.Context(), args))
	}
}

// output prints v as JSON with --json, else calls text.
func (r *remote) output(v any, text func()) error {
	if r.json {
		return r.printJSON(v)
	}
	text()
	return nil
}

// printJSON writes v as indented JSON.
func (r *remote) printJSON(v any) error {
	enc := json.NewEncoder(r.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// table writes aligned columns; cells are made one-line.
type table struct{ tw *tabwriter.Writer }

func newTable(w io.Writer, header ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)}
	t.row(header...)
	return t
}

func (t *table) row(cells ...string) {
	for i, c := range cells {
		cells[i] = oneLine(c)
		if cells[i] == "" {
			cells[i] = "-"
		}
	}
	fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
}

func (t *table) flush() { _ = t.tw.Flush() }

// kv writes "Key:  value" lines with the values aligned.
func kv(w io.Writer, pairs ...string) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", pairs[i], oneLine(pairs[i+1]))
		}
	}
	_ = tw.Flush()
}

// fmtTime shows a time in the local zone to the second ("" when unset).
func fmtTime(t wire.Timestamp) string {
	if t.IsZero() {
		return ""
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

// span is the duration from start to end, "" unless both are set.
func span(start, end wire.Timestamp) string {
	if start.IsZero() || end.IsZero() || end.Before(start.Time) {
		return ""
	}
	return fmtDuration(end.Sub(start.Time))
}

func nextPage(w io.Writer, token string) {
	if token != "" {
		fmt.Fprintf(w, "Next page: --page-token %s\n", token)
	}
}

// listFlags adds --page-size and --page-token.
func listFlags(cmd *cobra.Command, o *client.ListOptions) {
	cmd.Flags().IntVar(&o.PageSize, "page-size", 0, "items per page (server default 20, at most 200)")
	cmd.Flags().StringVar(&o.PageToken, "page-token", "", "page to show, from a previous list's next page token")
}

// resolvePipeline finds a pipeline by id, else by name, else by the start
// of its id (a short id).
func resolvePipeline(ctx context.Context, c *client.Client, idOrName string) (*wire.Pipeline, error) {
	p, err := c.GetPipeline(ctx, idOrName)
	if err == nil || !client.IsNotFound(err) {
		return p, err
	}
	p, err = c.GetPipelineByName(ctx, idOrName)
	if !client.IsNotFound(err) {
		return p, err
	}
	if id, err := c.ResolveID(ctx, client.KindPipeline, idOrName); err != nil || id != idOrName {
		if err != nil {
			return nil, err
		}
		return c.GetPipeline(ctx, id)
	}
	return nil, &exitError{code: ExitFailed, msg: fmt.Sprintf("no pipeline with ID or name %q", idOrName)}
}

// resolveArg replaces a short id in args[0] (a unique prefix of 8 or
// more characters) with the whole id of kind; see client.ResolveID.
func resolveArg(ctx context.Context, c *client.Client, kind string, args []string) error {
	id, err := c.ResolveID(ctx, kind, args[0])
	if err != nil {
		return err
	}
	args[0] = id
	return nil
}

// findExperiment finds an experiment by id, else by name, else by the
// start of its id; nil when there is none.
func findExperiment(ctx context.Context, c *client.Client, idOrName string) (*wire.Experiment, error) {
	e, err := c.GetExperiment(ctx, idOrName)
	if err == nil || !client.IsNotFound(err) {
		return e, err
	}
	l, err := c.ListExperiments(ctx, client.ListOptions{Filter: client.Equals("display_name", idOrName), PageSize: 2})
	if err != nil {
		return nil, err
	}
	if len(l.Experiments) > 0 {
		return &l.Experiments[0], nil
	}
	if id, err := c.ResolveID(ctx, client.KindExperiment, idOrName); err != nil || id != idOrName {
		if err != nil {
			return nil, err
		}
		return c.GetExperiment(ctx, id)
	}
	return nil, nil
}

// experimentID resolves --experiment for a new run: an existing
// experiment's id or name, or a name to create. "" stays "" (the server's
// default experiment).
func experimentID(ctx context.Context, c *client.Client, idOrName string, stderr io.Writer) (string, error) {
	if idOrName == "" {
		return "", nil
	}
	e, err := findExperiment(ctx, c, idOrName)
	if err != nil {
		return "", err
	}
	if e == nil {
		if e, err = c.CreateExperiment(ctx, idOrName, ""); err != nil {
			return "", err
		}
		fmt.Fprintf(stderr, "sluice: created experiment %s (%s)\n", e.DisplayName, e.ExperimentID)
	}
	return e.ExperimentID, nil
}

// experimentArg resolves an experiment argument (id or name) that must
// exist.
func experimentArg(ctx context.Context, c *client.Client, idOrName string) (*wire.Experiment, error) {
	e, err := findExperiment(ctx, c, idOrName)
	if err == nil && e == nil {
		err = &exitError{code: ExitFailed, msg: fmt.Sprintf("no experiment with ID or name %q", idOrName)}
	}
	return e, err
}

// storedSpec fetches a pipeline version (the latest when versionID is
// empty) and loads its spec.
func storedSpec(ctx context.Context, c *client.Client, pipelineID, versionID string) (*wire.PipelineVersion, *spec.Pipeline, error) {
	if versionID == "" {
		l, err := c.ListPipelineVersions(ctx, pipelineID, client.ListOptions{PageSize: 1, SortBy: "created_at desc"})
		if err != nil {
			return nil, nil, err
		}
		if len(l.PipelineVersions) == 0 {
			return nil, nil, &exitError{code: ExitFailed, msg: fmt.Sprintf("pipeline %s has no versions", pipelineID)}
		}
		versionID = l.PipelineVersions[0].PipelineVersionID
	}
	v, err := c.GetPipelineVersion(ctx, pipelineID, versionID)
	if err != nil {
		return nil, nil, err
	}
	if len(v.PipelineSpec) == 0 {
		return nil, nil, &exitError{code: ExitFailed, msg: fmt.Sprintf("pipeline version %s: the server sent no pipeline_spec", versionID)}
	}
	p, err := spec.LoadStored(v.PipelineSpec)
	if err != nil {
		return nil, nil, &exitError{code: ExitFailed, msg: fmt.Sprintf("pipeline version %s: its spec: %v", versionID, err)}
	}
	return v, p, nil
}

// fmtParams shows parameter values (a JSON object) as name=JSON, sorted.
func fmtParams(raw json.RawMessage) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return string(raw)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		b, _ := json.Marshal(m[k])
		parts[i] = k + "=" + string(b)
	}
	return strings.Join(parts, " ")
}
