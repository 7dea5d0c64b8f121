package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/sluicehq/sluice/wire"
)

// UploadPipeline creates a pipeline and its first version from a pipeline
// file (IR YAML or JSON, zip or tar.gz), sent as the multipart field
// "uploadfile". An empty name lets the server choose one (from the file
// name); an empty description is left out.
func (c *Client) UploadPipeline(ctx context.Context, filename string, data []byte, name, description string) (*wire.Pipeline, error) {
	q := url.Values{}
	set(q, "name", name)
	set(q, "description", description)
	var p wire.Pipeline
	if err := c.upload(ctx, "/pipelines/upload", q, filename, data, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// UploadPipelineVersion adds a version to a pipeline from a pipeline file.
func (c *Client) UploadPipelineVersion(ctx context.Context, pipelineID, filename string, data []byte, name, description string) (*wire.PipelineVersion, error) {
	q := url.Values{}
	q.Set("pipelineid", pipelineID)
	set(q, "name", name)
	set(q, "description", description)
	var v wire.PipelineVersion
	if err := c.upload(ctx, "/pipelines/upload_version", q, filename, data, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// ListPipelines lists pipelines.
func (c *Client) ListPipelines(ctx context.Context, opts ListOptions) (*wire.ListPipelinesResponse, error) {
	return call[wire.ListPipelinesResponse](ctx, c, http.MethodGet, "/pipelines", opts.query(), nil)
}

// GetPipeline gets a pipeline by id.
func (c *Client) GetPipeline(ctx context.Context, id string) (*wire.Pipeline, error) {
	return call[wire.Pipeline](ctx, c, http.MethodGet, "/pipelines/"+esc(id), nil, nil)
}

// GetPipelineByName gets a pipeline by its name.
func (c *Client) GetPipelineByName(ctx context.Context, name string) (*wire.Pipeline, error) {
	return call[wire.Pipeline](ctx, c, http.MethodGet, "/pipelines/names/"+esc(name), nil, nil)
}

// DeletePipeline deletes a pipeline. Without cascade the server refuses
// to delete a pipeline that still has versions.
func (c *Client) DeletePipeline(ctx context.Context, id string, cascade bool) error {
	var q url.Values
	if cascade {
		q = url.Values{"cascade": {strconv.FormatBool(cascade)}}
	}
	return c.do(ctx, http.MethodDelete, "/pipelines/"+esc(id), q, nil, nil)
}

// ListPipelineVersions lists a pipeline's versions.
func (c *Client) ListPipelineVersions(ctx context.Context, pipelineID string, opts ListOptions) (*wire.ListPipelineVersionsResponse, error) {
	return call[wire.ListPipelineVersionsResponse](ctx, c, http.MethodGet, "/pipelines/"+esc(pipelineID)+"/versions", opts.query(), nil)
}

// GetPipelineVersion gets one version of a pipeline, with its spec.
func (c *Client) GetPipelineVersion(ctx context.Context, pipelineID, versionID string) (*wire.PipelineVersion, error) {
	return call[wire.PipelineVersion](ctx, c, http.MethodGet, "/pipelines/"+esc(pipelineID)+"/versions/"+esc(versionID), nil, nil)
}

// DeletePipelineVersion deletes one version of a pipeline.
func (c *Client) DeletePipelineVersion(ctx context.Context, pipelineID, versionID string) error {
	return c.do(ctx, http.MethodDelete, "/pipelines/"+esc(pipelineID)+"/versions/"+esc(versionID), nil, nil, nil)
}
