// Package client is a small Go client of the Kubeflow Pipelines v2beta1
// REST API (/apis/v2beta1/...), as served by `sluice server` and by KFP's
// own API server: pipelines and their versions, experiments, runs and
// recurring runs.
//
// Requests and answers are package wire's types, the ones the api package
// serves (KFP's JSON: snake_case field names, enums as strings, int64
// values as JSON strings, RFC 3339 timestamps). A request
// the server refuses returns an *APIError; a server that cannot be reached
// returns the transport's error (a *url.Error).
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
)

// Prefix is the path of the v2beta1 API under the server's base URL.
const Prefix = "/apis/v2beta1"

// Client talks to one API server. It is safe for concurrent use.
type Client struct {
	base  string
	token string
	hc    *http.Client
}

// New returns a client of the server at baseURL (e.g.
// "http://127.0.0.1:8888", or a URL with a path prefix such as
// "https://kf.example.com/pipeline"; "http://" is assumed when there is no
// scheme). A non-empty token is sent as "Authorization: Bearer <token>".
// A nil httpClient means http.DefaultClient.
func New(baseURL, token string, httpClient *http.Client) *Client {
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	base := strings.TrimSpace(baseURL)
	if base != "" && !strings.Contains(base, "://") {
		base = "http://" + base
	}
	return &Client{base: strings.TrimRight(base, "/"), token: token, hc: httpClient}
}

// BaseURL is the server's base URL as the client uses it.
func (c *Client) BaseURL() string { return c.base }

// APIError is a request the server answered with an error status. Code is
// the gRPC code of a google.rpc.Status body (0 for the uploads' v1 error
// shape or a body that is not JSON).
type APIError struct {
	Status  int
	Code    int
	Message string
}

func (e *APIError) Error() string {
	if e.Message != "" {
		return e.Message
	}
	return fmt.Sprintf("the server answered %d %s", e.Status, http.StatusText(e.Status))
}

// IsNotFound reports whether err is an *APIError with status 404.
func IsNotFound(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusNotFound
}

// ListOptions are the paging, sorting and filtering parameters of list
// calls. Filter is KFP's Filter JSON (see FilterJSON); SortBy is "field",
// "field asc" or "field desc".
type ListOptions struct {
	PageSize  int
	PageToken string
	SortBy    string
	Filter    string
}

func (o ListOptions) query() url.Values {
	q := url.Values{}
	if o.PageSize > 0 {
		q.Set("page_size", strconv.Itoa(o.PageSize))
	}
	set(q, "page_token", o.PageToken)
	set(q, "sort_by", o.SortBy)
	set(q, "filter", o.Filter)
	return q
}

func set(q url.Values, k, v string) {
	if v != "" {
		q.Set(k, v)
	}
}

// Predicate is one condition of a list filter. Operation is one of
// EQUALS, NOT_EQUALS, GREATER_THAN, GREATER_THAN_EQUALS, LESS_THAN,
// LESS_THAN_EQUALS, IS_SUBSTRING.
type Predicate struct {
	Operation   string `json:"operation"`
	Key         string `json:"key"`
	StringValue string `json:"string_value"`
}

// FilterJSON returns the Filter JSON of predicates that must all hold
// ("" when there are none).
func FilterJSON(preds ...Predicate) string {
	if len(preds) == 0 {
		return ""
	}
	b, _ := json.Marshal(struct {
		Predicates []Predicate `json:"predicates"`
	}{preds})
	return string(b)
}

// Equals is the filter "key equals value".
func Equals(key, value string) string {
	return FilterJSON(Predicate{Operation: "EQUALS", Key: key, StringValue: value})
}

// call sends a request and decodes the JSON answer as a T.
func call[T any](ctx context.Context, c *Client, method, p string, q url.Values, body any) (*T, error) {
	var out T
	if err := c.do(ctx, method, p, q, body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// do sends a request and decodes a JSON answer into out (when not nil).
// body, when not nil, is sent as JSON.
func (c *Client) do(ctx context.Context, method, p string, q url.Values, body, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := c.newRequest(ctx, method, p, q, r)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return c.send(req, out)
}

func (c *Client) newRequest(ctx context.Context, method, p string, q url.Values, body io.Reader) (*http.Request, error) {
	u := c.base + Prefix + p
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return req, nil
}

// maxBody bounds what the client reads of an answer.
const maxBody = 64 << 20

func (c *Client) send(req *http.Request, out any) error {
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("%s %s: read the answer: %w", req.Method, req.URL.Path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return decodeError(resp.StatusCode, b)
	}
	if out == nil || len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: the answer is not the expected JSON: %w", req.Method, req.URL.Path, err)
	}
	return nil
}

// decodeError reads an error body: google.rpc.Status ({code, message,
// details}) or KFP's v1 shape ({error_message, error_details}).
func decodeError(status int, b []byte) *APIError {
	e := &APIError{Status: status}
	var body struct {
		Code         int    `json:"code"`
		Message      string `json:"message"`
		ErrorMessage string `json:"error_message"`
		ErrorDetails string `json:"error_details"`
		Details      []struct {
			Message string `json:"message"`
		} `json:"details"`
	}
	if err := json.Unmarshal(b, &body); err != nil {
		if s := strings.TrimSpace(string(b)); s != "" && len(s) < 500 {
			e.Message = s
		}
		return e
	}
	e.Code = body.Code
	switch {
	case body.Message != "":
		e.Message = body.Message
	case len(body.Details) > 0 && body.Details[0].Message != "":
		e.Message = body.Details[0].Message
	case body.ErrorMessage != "":
		e.Message = body.ErrorMessage
	case body.ErrorDetails != "":
		e.Message = body.ErrorDetails
	}
	return e
}

// upload posts a file as the multipart field "uploadfile".
func (c *Client) upload(ctx context.Context, p string, q url.Values, filename string, data []byte, out any) error {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("uploadfile", path.Base(strings.ReplaceAll(filename, "\\", "/")))
	if err != nil {
		return err
	}
	if _, err := fw.Write(data); err != nil {
		return err
	}
	if err := mw.Close(); err != nil {
		return err
	}
	req, err := c.newRequest(ctx, http.MethodPost, p, q, &buf)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.send(req, out)
}

// Healthz is the answer of GET /healthz.
type Healthz struct {
	CommitSHA     string `json:"commit_sha,omitempty"`
	TagName       string `json:"tag_name,omitempty"`
	MultiUser     bool   `json:"multi_user"`
	PipelineStore string `json:"pipeline_store,omitempty"`
}

// Healthz checks that the server is up.
func (c *Client) Healthz(ctx context.Context) (*Healthz, error) {
	return call[Healthz](ctx, c, http.MethodGet, "/healthz", nil, nil)
}

func esc(s string) string { return url.PathEscape(s) }
