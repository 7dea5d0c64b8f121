package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/runstate"
)

// This file holds the wire types of the v2beta1 API: snake_case names,
// enums as strings, int64 as JSON strings, RFC 3339 timestamps, unset
// fields left out. Conversions to and from the store's domain types live
// next to the handlers of each resource.

// timestamp is a google.protobuf.Timestamp: RFC 3339 in UTC with 0, 3, 6
// or 9 fractional digits, as protojson writes it.
type timestamp time.Time

func (t timestamp) IsZero() bool { return time.Time(t).IsZero() }

func (t timestamp) MarshalJSON() ([]byte, error) {
	u := time.Time(t).UTC()
	s := u.Format("2006-01-02T15:04:05")
	switch ns := u.Nanosecond(); {
	case ns == 0:
	case ns%1e6 == 0:
		s += fmt.Sprintf(".%03d", ns/1e6)
	case ns%1e3 == 0:
		s += fmt.Sprintf(".%06d", ns/1e3)
	default:
		s += fmt.Sprintf(".%09d", ns)
	}
	return []byte(`"` + s + `Z"`), nil
}

func (t *timestamp) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return typeError(b, timestampType)
	}
	if s == "" {
		*t = timestamp{}
		return nil
	}
	v, err := parseTime(s)
	if err != nil {
		return typeError(b, timestampType)
	}
	*t = timestamp(v)
	return nil
}

// parseTime reads RFC 3339, and also the zone-less ISO form Python's
// naive datetime.isoformat() writes, taken as UTC.
func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	v, err := time.Parse(time.RFC3339Nano, s)
	if err == nil {
		return v, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999", "2006-01-02 15:04:05Z07:00"} {
		if v, lerr := time.ParseInLocation(layout, s, time.UTC); lerr == nil {
			return v, nil
		}
	}
	return time.Time{}, err
}

func ts(t time.Time) timestamp { return timestamp(t) }

// int64s is an int64 written as a JSON string; it reads a string or a
// number.
type int64s int64

func (n int64s) MarshalJSON() ([]byte, error) {
	return []byte(`"` + strconv.FormatInt(int64(n), 10) + `"`), nil
}

func (n *int64s) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		// Accept integral floats such as 1e3 or 10.0.
		f, ferr := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if ferr != nil || f != float64(int64(f)) {
			return typeError(b, int64sType)
		}
		v = int64(f)
	}
	*n = int64s(v)
	return nil
}

// enum is an enum value as received: its name, or its number as decimal
// text. Use name to resolve it.
type enum string

func (e *enum) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*e = enum(s)
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return typeError(b, enumType)
	}
	*e = enum(strconv.FormatInt(n, 10))
	return nil
}

// MarshalJSON writes the enum as its name (output sets names only).
func (e enum) MarshalJSON() ([]byte, error) { return json.Marshal(string(e)) }

// name resolves e against the enum's names, listed by number (names[0]
// is the UNSPECIFIED value; "" entries are unused numbers). It returns ""
// for an unset or unspecified value.
func (e enum) name(field string, names []string) (string, error) {
	s := strings.TrimSpace(string(e))
	if s == "" {
		return "", nil
	}
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 || n >= len(names) || names[n] == "" {
			return "", invalidf("%s: unknown enum number %d (expected one of %s)", field, n, enumList(names))
		}
		s = names[n]
	}
	for i, v := range names {
		if v != "" && strings.EqualFold(v, s) {
			if i == 0 {
				return "", nil
			}
			return v, nil
		}
	}
	return "", invalidf("%s: unknown value %q (expected one of %s)", field, s, enumList(names))
}

func enumList(names []string) string {
	var l []string
	for i, n := range names {
		if i > 0 && n != "" {
			l = append(l, fmt.Sprintf("%s (%d)", n, i))
		}
	}
	return strings.Join(l, ", ")
}

var (
	int64sType    = reflect.TypeFor[int64s]()
	timestampType = reflect.TypeFor[timestamp]()
	enumType      = reflect.TypeFor[enum]()
)

// typeError is the error of a custom decoder; encoding/json adds the field
// path to it, and jsonErrText words it.
func typeError(b []byte, t reflect.Type) error {
	return &json.UnmarshalTypeError{Value: abbrev(b), Type: t}
}

var modeNames = []string{"MODE_UNSPECIFIED", "ENABLE", "DISABLE"}

// status is google.rpc.Status inside a resource (Run.error, ...).
type status struct {
	Code    int    `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

func errStatus(msg string) *status {
	if msg == "" {
		return nil
	}
	return &status{Code: codeUnknown, Message: msg}
}

type wirePipeline struct {
	PipelineID  string            `json:"pipeline_id,omitempty"`
	DisplayName string            `json:"display_name,omitempty"`
	Name        string            `json:"name,omitempty"`
	Description string            `json:"description,omitempty"`
	CreatedAt   timestamp         `json:"created_at,omitzero"`
	Namespace   string            `json:"namespace,omitempty"`
	Error       *status           `json:"error,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
}

type packageURL struct {
	PipelineURL string `json:"pipeline_url,omitempty"`
}

type wireVersion struct {
	PipelineID        string            `json:"pipeline_id,omitempty"`
	PipelineVersionID string            `json:"pipeline_version_id,omitempty"`
	DisplayName       string            `json:"display_name,omitempty"`
	Name              string            `json:"name,omitempty"`
	Description       string            `json:"description,omitempty"`
	CreatedAt         timestamp         `json:"created_at,omitzero"`
	PackageURL        *packageURL       `json:"package_url,omitempty"`
	CodeSourceURL     string            `json:"code_source_url,omitempty"`
	PipelineSpec      json.RawMessage   `json:"pipeline_spec,omitempty"`
	Error             *status           `json:"error,omitempty"`
	Tags              map[string]string `json:"tags,omitempty"`
}

type wireExperiment struct {
	ExperimentID     string    `json:"experiment_id,omitempty"`
	DisplayName      string    `json:"display_name,omitempty"`
	Description      string    `json:"description,omitempty"`
	CreatedAt        timestamp `json:"created_at,omitzero"`
	Namespace        string    `json:"namespace,omitempty"`
	StorageState     string    `json:"storage_state,omitempty"`
	LastRunCreatedAt timestamp `json:"last_run_created_at,omitzero"`
}

type versionRef struct {
	PipelineID        string `json:"pipeline_id,omitempty"`
	PipelineVersionID string `json:"pipeline_version_id,omitempty"`
}

type runtimeConfig struct {
	Parameters   json.RawMessage `json:"parameters,omitempty"`
	PipelineRoot string          `json:"pipeline_root,omitempty"`
}

type runtimeStatus struct {
	UpdateTime timestamp      `json:"update_time,omitzero"`
	State      runstate.State `json:"state,omitempty"`
	Error      *status        `json:"error,omitempty"`
}

type childTask struct {
	TaskID  string `json:"task_id,omitempty"`
	PodName string `json:"pod_name,omitempty"`
}

type taskDetail struct {
	RunID        string         `json:"run_id,omitempty"`
	TaskID       string         `json:"task_id,omitempty"`
	DisplayName  string         `json:"display_name,omitempty"`
	CreateTime   timestamp      `json:"create_time,omitzero"`
	StartTime    timestamp      `json:"start_time,omitzero"`
	EndTime      timestamp      `json:"end_time,omitzero"`
	State        runstate.State `json:"state,omitempty"`
	Error        *status        `json:"error,omitempty"`
	ParentTaskID string         `json:"parent_task_id,omitempty"`
	ChildTasks   []childTask    `json:"child_tasks,omitempty"`
}

type runDetails struct {
	TaskDetails []taskDetail `json:"task_details,omitempty"`
}

type wireRun struct {
	ExperimentID             string          `json:"experiment_id,omitempty"`
	RunID                    string          `json:"run_id,omitempty"`
	DisplayName              string          `json:"display_name,omitempty"`
	StorageState             string          `json:"storage_state,omitempty"`
	Description              string          `json:"description,omitempty"`
	PipelineVersionID        string          `json:"pipeline_version_id,omitempty"`
	PipelineSpec             json.RawMessage `json:"pipeline_spec,omitempty"`
	PipelineVersionReference *versionRef     `json:"pipeline_version_reference,omitempty"`
	RuntimeConfig            *runtimeConfig  `json:"runtime_config,omitempty"`
	ServiceAccount           string          `json:"service_account,omitempty"`
	CreatedAt                timestamp       `json:"created_at,omitzero"`
	ScheduledAt              timestamp       `json:"scheduled_at,omitzero"`
	FinishedAt               timestamp       `json:"finished_at,omitzero"`
	State                    runstate.State  `json:"state,omitempty"`
	Error                    *status         `json:"error,omitempty"`
	RunDetails               *runDetails     `json:"run_details,omitempty"`
	RecurringRunID           string          `json:"recurring_run_id,omitempty"`
	StateHistory             []runtimeStatus `json:"state_history,omitempty"`
}

type cronSchedule struct {
	StartTime timestamp `json:"start_time,omitzero"`
	EndTime   timestamp `json:"end_time,omitzero"`
	Cron      string    `json:"cron,omitempty"`
}

type periodicSchedule struct {
	StartTime      timestamp `json:"start_time,omitzero"`
	EndTime        timestamp `json:"end_time,omitzero"`
	IntervalSecond int64s    `json:"interval_second,omitzero"`
}

type trigger struct {
	CronSchedule     *cronSchedule     `json:"cron_schedule,omitempty"`
	PeriodicSchedule *periodicSchedule `json:"periodic_schedule,omitempty"`
}

type wireRecurringRun struct {
	RecurringRunID           string          `json:"recurring_run_id,omitempty"`
	DisplayName              string          `json:"display_name,omitempty"`
	Description              string          `json:"description,omitempty"`
	PipelineVersionID        string          `json:"pipeline_version_id,omitempty"`
	PipelineSpec             json.RawMessage `json:"pipeline_spec,omitempty"`
	PipelineVersionReference *versionRef     `json:"pipeline_version_reference,omitempty"`
	RuntimeConfig            *runtimeConfig  `json:"runtime_config,omitempty"`
	ServiceAccount           string          `json:"service_account,omitempty"`
	MaxConcurrency           int64s          `json:"max_concurrency,omitzero"`
	Trigger                  *trigger        `json:"trigger,omitempty"`
	Mode                     enum            `json:"mode,omitempty"`
	CreatedAt                timestamp       `json:"created_at,omitzero"`
	UpdatedAt                timestamp       `json:"updated_at,omitzero"`
	Status                   string          `json:"status,omitempty"`
	Error                    *status         `json:"error,omitempty"`
	NoCatchup                bool            `json:"no_catchup,omitempty"`
	Namespace                string          `json:"namespace,omitempty"`
	ExperimentID             string          `json:"experiment_id,omitempty"`
}

// rawOrNil returns b as a JSON value, or nil when it is empty or null.
func rawOrNil(b []byte) json.RawMessage {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	return json.RawMessage(b)
}

// isEmptyJSON reports whether a raw value is absent, null or {}.
func isEmptyJSON(b json.RawMessage) bool {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		return true
	}
	var m map[string]json.RawMessage
	return json.Unmarshal(b, &m) == nil && len(m) == 0
}
