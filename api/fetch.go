package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/sluicehq/sluice/plan"
	"github.com/sluicehq/sluice/spec"
)

// fetchTimeout bounds fetching a pipeline_version.package_url.
const fetchTimeout = 30 * time.Second

// fetchPackage loads the pipeline package behind a package_url, as KFP's
// server does for POST /pipelines/create and POST /pipelines/{id}/versions:
// an http(s) URL, or a bucket URL inside the server's artifact store. The
// body is bounded like an upload. Local paths and file:// URLs are refused:
// the API does not read the server's disk.
func (s *server) fetchPackage(ctx context.Context, field, raw string) (*spec.Pipeline, []byte, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return nil, nil, invalidf("%s %q: not a URL", field, raw)
	}
	var body io.ReadCloser
	switch u.Scheme {
	case "http", "https":
		ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
		if err != nil {
			return nil, nil, invalidf("%s %q: %v", field, raw, err)
		}
		resp, err := s.fetcher.Do(req)
		if err != nil {
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err
			}
			return nil, nil, invalidf("%s: fetch %s: %v", field, raw, err)
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			return nil, nil, invalidf("%s: fetch %s: HTTP %s", field, raw, resp.Status)
		}
		body = resp.Body
	case "file":
		return nil, nil, invalidf("%s %q: file URLs are not fetched (the server does not read its own disk); upload the file instead", field, raw)
	case "s3", "gs", "azblob", "minio":
		rc, err := s.openBlob(ctx, raw)
		if err != nil {
			return nil, nil, err
		}
		body = rc
	default:
		return nil, nil, invalidf("%s %q: unsupported scheme %q (want http, https or a bucket URL of this server's artifact store)", field, raw, u.Scheme)
	}
	defer body.Close()
	data, err := io.ReadAll(io.LimitReader(body, s.cfg.MaxUploadBytes+1))
	if err != nil {
		return nil, nil, invalidf("%s: fetch %s: %v", field, raw, err)
	}
	if int64(len(data)) > s.cfg.MaxUploadBytes {
		return nil, nil, &apiError{code: codeInvalidArgument, status: http.StatusRequestEntityTooLarge,
			msg: fmt.Sprintf("%s: the package at %s is larger than the %s limit", field, raw, sizeText(s.cfg.MaxUploadBytes))}
	}
	p, err := spec.Load(data)
	if err == nil {
		err = plan.CheckExpressions(p.Spec)
	}
	if err != nil {
		return nil, nil, &apiError{code: codeInvalidArgument, msg: fmt.Sprintf("%s: the package at %s is not a valid pipeline: %v", field, raw, err), err: err}
	}
	b, err := spec.MarshalStored(p)
	if err != nil {
		return nil, nil, err
	}
	return p, b, nil
}
