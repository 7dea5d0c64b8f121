package client

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/sluicehq/sluice/wire"
)

// SluicePrefix is the path of Sluice's own routes under the base URL.
const SluicePrefix = "/apis/sluice/v1"

func (c *Client) sluiceRequest(ctx context.Context, p string, q url.Values) (*http.Request, error) {
	u := c.base + SluicePrefix + p
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return req, nil
}

// Tasks returns every task of a run with Sluice's full record.
func (c *Client) Tasks(ctx context.Context, runID string) ([]wire.Task, error) {
	req, err := c.sluiceRequest(ctx, "/runs/"+url.PathEscape(runID)+"/tasks", nil)
	if err != nil {
		return nil, err
	}
	var out struct {
		Tasks []wire.Task `json:"tasks"`
	}
	if err := c.send(req, &out); err != nil {
		return nil, err
	}
	return out.Tasks, nil
}

// TaskLog returns a task's log.
func (c *Client) TaskLog(ctx context.Context, runID, taskID string) (string, error) {
	req, err := c.sluiceRequest(ctx, "/runs/"+url.PathEscape(runID)+"/logs/"+taskID, nil)
	if err != nil {
		return "", err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", decodeError(resp.StatusCode, b)
	}
	return string(b), nil
}

// FollowTaskLog streams a task's log, calling line for each line, until the
// task ends; it returns the task's final state.
func (c *Client) FollowTaskLog(ctx context.Context, runID, taskID string, line func(string)) (string, error) {
	req, err := c.sluiceRequest(ctx, "/runs/"+url.PathEscape(runID)+"/logs/"+taskID, url.Values{"follow": {"true"}})
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := c.hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
		return "", decodeError(resp.StatusCode, b)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	event := ""
	for sc.Scan() {
		l := sc.Text()
		switch {
		case l == "":
			event = ""
		case strings.HasPrefix(l, "event: "):
			event = strings.TrimPrefix(l, "event: ")
		case strings.HasPrefix(l, "data: ") || l == "data:":
			data := strings.TrimPrefix(strings.TrimPrefix(l, "data:"), " ")
			switch event {
			case "end":
				return data, nil
			case "error":
				return "", fmt.Errorf("following the log of %s: %s", taskID, data)
			default:
				line(data)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("following the log of %s: the stream ended early", taskID)
}
