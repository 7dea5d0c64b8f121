package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/sluicehq/sluice/plan"
	"github.com/sluicehq/sluice/spec"
	"github.com/sluicehq/sluice/store"
	"github.com/sluicehq/sluice/wire"
)

// The uploads are plain HTTP handlers in KFP: the file is the multipart
// form field "uploadfile", everything else is a query parameter, and
// errors use the v1 shape {error_message, error_details}.

const uploadField = "uploadfile"

// readUpload returns the content and file name of the "uploadfile" part.
func (s *server) readUpload(w http.ResponseWriter, r *http.Request) ([]byte, string, error) {
	limit := s.cfg.MaxUploadBytes
	r.Body = http.MaxBytesReader(w, r.Body, limit+1<<20) // room for the multipart framing
	tooLarge := &apiError{code: codeResourceExhausted, status: http.StatusRequestEntityTooLarge,
		msg: fmt.Sprintf("the uploaded file is larger than the %s limit", sizeText(limit))}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, "", invalidf("expected a multipart/form-data body with the pipeline file in the form field %q: %v", uploadField, err)
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, "", invalidf("the request has no form file %q: send the pipeline file in the multipart form field %q", uploadField, uploadField)
		}
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, "", tooLarge
		}
		if err != nil {
			return nil, "", invalidf("malformed multipart body: %v", err)
		}
		if part.FormName() != uploadField {
			_, err := io.Copy(io.Discard, part)
			if errors.As(err, &mbe) {
				return nil, "", tooLarge
			}
			continue
		}
		data, err := io.ReadAll(io.LimitReader(part, limit+1))
		if errors.As(err, &mbe) {
			return nil, "", tooLarge
		}
		if err != nil {
			return nil, "", invalidf("read the uploaded file: %v", err)
		}
		if int64(len(data)) > limit {
			return nil, "", tooLarge
		}
		return data, part.FileName(), nil
	}
}

// sizeText words a byte size: "32 MiB", or "65536-byte" when it is not a
// whole number of MiB.
func sizeText(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d-byte", n)
}

// loadUpload validates an uploaded pipeline file and returns its stored
// spec JSON.
func loadUpload(data []byte, filename string) (*spec.Pipeline, []byte, error) {
	p, err := spec.Load(data)
	if err == nil {
		err = plan.CheckExpressions(p.Spec)
	}
	if err != nil {
		what := "the uploaded file"
		if filename != "" {
			what = fmt.Sprintf("the uploaded file %q", filename)
		}
		return nil, nil, &apiError{code: codeInvalidArgument, msg: fmt.Sprintf("%s is not a valid pipeline: %v", what, err), err: err}
	}
	b, err := spec.MarshalStored(p)
	if err != nil {
		return nil, nil, err
	}
	return p, b, nil
}

// uploadName is the name of an upload: the name query parameter, else
// display_name, else the file name without its extension.
func uploadName(q url.Values, filename string) string {
	if n := strings.TrimSpace(q.Get("name")); n != "" {
		return n
	}
	if n := strings.TrimSpace(q.Get("display_name")); n != "" {
		return n
	}
	base := path.Base(strings.ReplaceAll(filename, "\\", "/"))
	if base == "." || base == "/" {
		return ""
	}
	for _, ext := range []string{".tar.gz", ".tgz", ".zip", ".yaml", ".yml", ".json"} {
		if strings.HasSuffix(strings.ToLower(base), ext) {
			return base[:len(base)-len(ext)]
		}
	}
	return base
}

// queryTags reads the tags query parameter: a JSON object of strings.
func queryTags(q url.Values) (map[string]string, error) {
	s := strings.TrimSpace(q.Get("tags"))
	if s == "" {
		return nil, nil
	}
	var tags map[string]string
	if err := json.Unmarshal([]byte(s), &tags); err != nil {
		return nil, invalidf("tags: expected a JSON object of strings, e.g. {\"team\":\"ml\"}: %v", jsonErrText(err))
	}
	return tags, validateTags(tags)
}

// uploadPipeline serves POST /pipelines/upload: a new pipeline and its
// first version, in one transaction.
func (s *server) uploadPipeline(w http.ResponseWriter, r *http.Request) {
	const what = "Failed to create a pipeline and a pipeline version"
	p, err := s.upload(w, r)
	if err != nil {
		s.writeV1Error(w, r, what, err)
		return
	}
	writeJSON(w, http.StatusOK, toWirePipeline(p))
}

func (s *server) upload(w http.ResponseWriter, r *http.Request) (*store.Pipeline, error) {
	q := r.URL.Query()
	tags, err := queryTags(q)
	if err != nil {
		return nil, err
	}
	data, filename, err := s.readUpload(w, r)
	if err != nil {
		return nil, err
	}
	sp, b, err := loadUpload(data, filename)
	if err != nil {
		return nil, err
	}
	name := uploadName(q, filename)
	if name == "" {
		name = sp.Spec.PipelineInfo.Name
	}
	desc := q.Get("description")
	if desc == "" {
		desc = sp.Spec.PipelineInfo.Description
	}
	p, err := s.newPipeline(wire.Pipeline{Name: name, DisplayName: q.Get("display_name"), Description: desc, Tags: tags}, "")
	if err != nil {
		return nil, err
	}
	v, err := s.newVersion(wire.PipelineVersion{Name: name, DisplayName: p.DisplayName, Description: desc,
		CodeSourceURL: q.Get("code_source_url")}, "", b)
	if err != nil {
		return nil, err
	}
	if err := s.st.CreatePipeline(r.Context(), p, v); err != nil {
		if errors.Is(err, store.ErrAlreadyExists) {
			return nil, &apiError{code: codeAlreadyExists, err: err, msg: fmt.Sprintf(
				"a pipeline named %q already exists: upload a new version of it with POST /apis/v2beta1/pipelines/upload_version?pipelineid=<id>, or choose another name", name)}
		}
		return nil, err
	}
	return p, nil
}

// uploadPipelineVersion serves POST /pipelines/upload_version?pipelineid=.
func (s *server) uploadPipelineVersion(w http.ResponseWriter, r *http.Request) {
	const what = "Failed to create a pipeline version"
	v, err := s.uploadVersion(w, r)
	if err != nil {
		s.writeV1Error(w, r, what, err)
		return
	}
	writeJSON(w, http.StatusOK, toWireVersion(v))
}

func (s *server) uploadVersion(w http.ResponseWriter, r *http.Request) (*store.PipelineVersion, error) {
	q := r.URL.Query()
	pid := strings.TrimSpace(q.Get("pipelineid"))
	if pid == "" {
		return nil, invalidf("the pipelineid query parameter is required: it names the pipeline the version belongs to")
	}
	tags, err := queryTags(q)
	if err != nil {
		return nil, err
	}
	if _, err := s.st.GetPipeline(r.Context(), pid); err != nil {
		return nil, notFound(err, "pipeline", pid)
	}
	data, filename, err := s.readUpload(w, r)
	if err != nil {
		return nil, err
	}
	sp, b, err := loadUpload(data, filename)
	if err != nil {
		return nil, err
	}
	name := uploadName(q, filename)
	desc := q.Get("description")
	if desc == "" {
		desc = sp.Spec.PipelineInfo.Description
	}
	v, err := s.newVersion(wire.PipelineVersion{Name: name, DisplayName: q.Get("display_name"), Description: desc,
		CodeSourceURL: q.Get("code_source_url"), Tags: tags}, sp.Spec.PipelineInfo.Name, b)
	if err != nil {
		return nil, err
	}
	v.PipelineID = pid
	if err := s.st.CreatePipelineVersion(r.Context(), v); err != nil {
		return nil, versionExists(notFound(err, "pipeline", pid), pid, v.Name)
	}
	return v, nil
}
