package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/sluicehq/sluice/client"
	"github.com/sluicehq/sluice/spec"
	"github.com/sluicehq/sluice/wire"
)

func newPipelineCmd(stdout, stderr io.Writer) *cobra.Command {
	return group("pipeline", "Upload and manage pipelines on a Sluice server",
		`Upload compiled pipelines to a Sluice server (or any KFP v2beta1 API) and
manage them. The server is --server, $SLUICE_SERVER or `+DefaultServer+`.`,
		newPipelineUploadCmd(stdout, stderr),
		newPipelineListCmd(stdout, stderr),
		newPipelineGetCmd(stdout, stderr),
		newPipelineDeleteCmd(stdout, stderr),
	)
}

func newPipelineUploadCmd(stdout, stderr io.Writer) *cobra.Command {
	r := newRemote(stdout, stderr)
	var name, desc, versionOf string
	cmd := &cobra.Command{
		Use:   "upload FILE",
		Short: "Upload a pipeline file as a new pipeline, or as a new version of one",
		Long: `Upload a compiled pipeline (IR YAML or JSON, zip, tar.gz) or a v1 component
file. The file is checked locally first. A new pipeline is named --name, else
the pipeline's own name (pipelineInfo.name). With --version-of it becomes a
new version of an existing pipeline (by ID or name), named --name, else the
pipeline's name and the upload time.`,
		Args: cobra.ExactArgs(1),
		RunE: r.runOwnClient(func(ctx context.Context, args []string) error {
			path := args[0]
			data, err := readInput(path)
			if err != nil {
				return usagef("%v", err)
			}
			p, err := spec.Load(data)
			if err != nil {
				return usagef("%s: %v", path, err)
			}
			c, err := r.client()
			if err != nil {
				return err
			}
			if versionOf == "" {
				if name == "" {
					name = p.Spec.PipelineInfo.Name
				}
				pl, err := c.UploadPipeline(ctx, filepath.Base(path), data, name, desc)
				var ae *client.APIError
				if errors.As(err, &ae) && ae.Status == http.StatusConflict {
					return &exitError{code: ExitFailed, msg: fmt.Sprintf("%s (to add a version: sluice pipeline upload --version-of %s %s)", ae.Message, name, path)}
				}
				if err != nil {
					return err
				}
				return r.output(pl, func() {
					fmt.Fprintf(stdout, "Uploaded pipeline %s: %s\n", pl.DisplayName, pl.PipelineID)
				})
			}
			pl, err := resolvePipeline(ctx, c, versionOf)
			if err != nil {
				return err
			}
			if name == "" {
				name = p.Spec.PipelineInfo.Name + "-" + time.Now().UTC().Format("20060102-150405")
			}
			v, err := c.UploadPipelineVersion(ctx, pl.PipelineID, filepath.Base(path), data, name, desc)
			if err != nil {
				return err
			}
			return r.output(v, func() {
				fmt.Fprintf(stdout, "Uploaded version %s of pipeline %s: %s\n", v.DisplayName, pl.DisplayName, v.PipelineVersionID)
			})
		}),
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "name of the pipeline (or of the version, with --version-of)")
	f.StringVar(&desc, "description", "", "description (default: the pipeline's own)")
	f.StringVar(&versionOf, "version-of", "", "upload as a new version of this pipeline (`ID or name`)")
	return r.flags(cmd, true)
}

func newPipelineListCmd(stdout, stderr io.Writer) *cobra.Command {
	r := newRemote(stdout, stderr)
	var opts client.ListOptions
	var nameSub string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List pipelines",
		Args:  cobra.NoArgs,
		RunE: r.runE(func(ctx context.Context, c *client.Client, args []string) error {
			if nameSub != "" {
				opts.Filter = client.FilterJSON(client.Predicate{Operation: "IS_SUBSTRING", Key: "display_name", StringValue: nameSub})
			}
			l, err := c.ListPipelines(ctx, opts)
			if err != nil {
				return err
			}
			return r.output(l, func() {
				t := newTable(stdout, "PIPELINE ID", "NAME", "CREATED", "DESCRIPTION")
				for _, p := range l.Pipelines {
					t.row(p.PipelineID, p.DisplayName, fmtTime(p.CreatedAt), p.Description)
				}
				t.flush()
				nextPage(stdout, l.NextPageToken)
			})
		}),
	}
	cmd.Flags().StringVar(&nameSub, "filter-name", "", "only pipelines whose name contains this")
	listFlags(cmd, &opts)
	return r.flags(cmd, true)
}

func newPipelineGetCmd(stdout, stderr io.Writer) *cobra.Command {
	r := newRemote(stdout, stderr)
	cmd := &cobra.Command{
		Use:   "get ID_OR_NAME",
		Short: "Show a pipeline and its versions",
		Args:  cobra.ExactArgs(1),
		RunE: r.runE(func(ctx context.Context, c *client.Client, args []string) error {
			p, err := resolvePipeline(ctx, c, args[0])
			if err != nil {
				return err
			}
			var versions []wire.PipelineVersion
			opts := client.ListOptions{PageSize: 200, SortBy: "created_at desc"}
			for {
				l, err := c.ListPipelineVersions(ctx, p.PipelineID, opts)
				if err != nil {
					return err
				}
				versions = append(versions, l.PipelineVersions...)
				if l.NextPageToken == "" || len(l.PipelineVersions) == 0 {
					break
				}
				opts.PageToken = l.NextPageToken
			}
			if r.json {
				for i := range versions {
					versions[i].PipelineSpec = nil
				}
				return r.printJSON(map[string]any{"pipeline": p, "versions": versions})
			}
			kv(stdout, "Pipeline", p.PipelineID, "Name", p.DisplayName, "Description", p.Description,
				"Created", fmtTime(p.CreatedAt))
			fmt.Fprintln(stdout)
			t := newTable(stdout, "VERSION ID", "NAME", "CREATED", "DESCRIPTION")
			for _, v := range versions {
				t.row(v.PipelineVersionID, v.DisplayName, fmtTime(v.CreatedAt), v.Description)
			}
			t.flush()
			return nil
		}),
	}
	return r.flags(cmd, true)
}

func newPipelineDeleteCmd(stdout, stderr io.Writer) *cobra.Command {
	r := newRemote(stdout, stderr)
	var cascade bool
	cmd := &cobra.Command{
		Use:   "delete ID_OR_NAME",
		Short: "Delete a pipeline (with --cascade, also its versions)",
		Args:  cobra.ExactArgs(1),
		RunE: r.runE(func(ctx context.Context, c *client.Client, args []string) error {
			p, err := resolvePipeline(ctx, c, args[0])
			if err != nil {
				return err
			}
			if err := c.DeletePipeline(ctx, p.PipelineID, cascade); err != nil {
				var ae *client.APIError
				if !cascade && errors.As(err, &ae) && ae.Status == http.StatusConflict {
					return &exitError{code: ExitFailed, msg: ae.Message + " (--cascade deletes its versions too)"}
				}
				return err
			}
			fmt.Fprintf(stdout, "Deleted pipeline %s (%s)\n", p.DisplayName, p.PipelineID)
			return nil
		}),
	}
	cmd.Flags().BoolVar(&cascade, "cascade", false, "also delete the pipeline's versions")
	return r.flags(cmd, false)
}
