package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/sluicehq/sluice/plan"
	"github.com/sluicehq/sluice/spec"
	"github.com/sluicehq/sluice/store"
	"github.com/sluicehq/sluice/tune"
)

// gRPC status codes, as KFP's grpc-gateway reports them.
const (
	codeCanceled           = 1
	codeUnknown            = 2
	codeInvalidArgument    = 3
	codeNotFound           = 5
	codeAlreadyExists      = 6
	codeResourceExhausted  = 8
	codeFailedPrecondition = 9
	codePermissionDenied   = 7
	codeUnimplemented      = 12
	codeInternal           = 13
	codeUnauthenticated    = 16
)

// apiError is an error with the gRPC code (and, rarely, an HTTP status
// other than the code's usual one) that the client should see. Msg is the
// user-facing message.
type apiError struct {
	code   int
	status int // 0: derived from code
	msg    string
	err    error // cause, for errors.Is and logs
}

func (e *apiError) Error() string { return e.msg }
func (e *apiError) Unwrap() error { return e.err }

func errorf(code int, format string, args ...any) error {
	return &apiError{code: code, msg: fmt.Sprintf(format, args...)}
}

func invalidf(format string, args ...any) error {
	return errorf(codeInvalidArgument, format, args...)
}

// notFound turns store.ErrNotFound into a NotFound error naming the
// resource; other errors pass through.
func notFound(err error, kind, id string) error {
	if errors.Is(err, store.ErrNotFound) {
		return &apiError{code: codeNotFound, msg: fmt.Sprintf("%s %q not found", kind, id), err: err}
	}
	return err
}

// httpStatus is grpc-gateway's mapping from gRPC codes to HTTP statuses.
func httpStatus(code int) int {
	switch code {
	case 0:
		return http.StatusOK
	case codeCanceled:
		return 499
	case codeInvalidArgument, codeFailedPrecondition:
		return http.StatusBadRequest
	case codeNotFound:
		return http.StatusNotFound
	case codeAlreadyExists:
		return http.StatusConflict
	case codeResourceExhausted:
		return http.StatusTooManyRequests
	case codeUnimplemented:
		return http.StatusNotImplemented
	case codeUnauthenticated:
		return http.StatusUnauthorized
	case codePermissionDenied:
		return http.StatusForbidden
	}
	return http.StatusInternalServerError
}

// classify is the one place where errors become gRPC codes, HTTP statuses
// and messages.
func classify(err error) (code, status int, msg string) {
	var ae *apiError
	var se *spec.Error
	var pe *plan.ParamError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		code, status, msg = ae.code, ae.status, ae.msg
	case errors.As(err, &mbe):
		code, status = codeResourceExhausted, http.StatusRequestEntityTooLarge
		msg = fmt.Sprintf("the request body is larger than the %s limit", sizeText(mbe.Limit))
	case errors.As(err, &se):
		code, msg = codeInvalidArgument, "invalid pipeline spec: "+err.Error()
	case errors.As(err, &pe):
		code, msg = codeInvalidArgument, "runtime_config.parameters: "+pe.Error()
	case errors.Is(err, tune.ErrInvalid):
		// A tuning experiment: the message names the field.
		code, msg = codeInvalidArgument, err.Error()
	case errors.Is(err, store.ErrNotFound):
		code, msg = codeNotFound, trimSentinel(err, store.ErrNotFound)
	case errors.Is(err, store.ErrAlreadyExists):
		code, msg = codeAlreadyExists, trimSentinel(err, store.ErrAlreadyExists)
	case errors.Is(err, store.ErrConflict):
		// A state conflict (e.g. a pipeline that still has versions):
		// FailedPrecondition, served as 409 Conflict.
		code, status, msg = codeFailedPrecondition, http.StatusConflict, trimSentinel(err, store.ErrConflict)
	case errors.Is(err, store.ErrInvalid):
		code, msg = codeInvalidArgument, trimSentinel(err, store.ErrInvalid)
	case errors.Is(err, context.Canceled):
		code, msg = codeCanceled, "request canceled"
	default:
		code, msg = codeInternal, "internal error: "+err.Error()
	}
	if status == 0 {
		status = httpStatus(code)
	}
	return code, status, msg
}

// trimSentinel drops the sentinel's text ("...: invalid argument") from
// the end of a store error, which already says what is wrong.
func trimSentinel(err, sentinel error) string {
	m := err.Error()
	if t := strings.TrimSuffix(m, ": "+sentinel.Error()); t != "" {
		return t
	}
	return m
}

// rpcStatus is google.rpc.Status as grpc-gateway serves it.
type rpcStatus struct {
	Code    int         `json:"code"`
	Message string      `json:"message,omitempty"`
	Details []rpcDetail `json:"details,omitempty"`
}

type rpcDetail struct {
	Type    string `json:"@type"`
	Code    int    `json:"code"`
	Message string `json:"message,omitempty"`
}

// v1Error is the error shape of KFP's plain HTTP handlers (uploads).
type v1Error struct {
	ErrorMessage string `json:"error_message"`
	ErrorDetails string `json:"error_details,omitempty"`
}

// writeRPCError writes err as a google.rpc.Status, or in the v1beta1
// shape on the v1beta1 routes.
func (s *server) writeRPCError(w http.ResponseWriter, r *http.Request, err error) {
	if isV1(r.URL.Path) {
		s.logError(r, writeV1RPCError(w, err), err)
		return
	}
	s.logError(r, writeStatus(w, err), err)
}

// writeStatus writes err as a google.rpc.Status and returns the HTTP
// status it used.
func writeStatus(w http.ResponseWriter, err error) int {
	code, status, msg := classify(err)
	writeJSON(w, status, rpcStatus{
		Code:    code,
		Message: msg,
		Details: []rpcDetail{{Type: "type.googleapis.com/google.rpc.Status", Code: code, Message: msg}},
	})
	return status
}

func (s *server) writeV1Error(w http.ResponseWriter, r *http.Request, what string, err error) {
	_, status, msg := classify(err)
	s.logError(r, status, err)
	writeJSON(w, status, v1Error{ErrorMessage: msg, ErrorDetails: what + ": " + msg})
}

func (s *server) logError(r *http.Request, status int, err error) {
	if status >= 500 {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	} else {
		s.log.Debug("request refused", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	}
}
