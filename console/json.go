package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// maxBody bounds a request body: every request of this API is a few short
// fields.
const maxBody = 64 << 10

// decode reads r's body into v strictly: one JSON object, no unknown fields,
// every field of its type. An empty body reads as {} so that actions with
// nothing to say (POST .../ready) need no body. Its errors are 400s that
// name the field.
func decode(r *http.Request, v any) error {
	body := http.MaxBytesReader(nil, r.Body, maxBody)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		// One object, nothing after it.
		if _, err := dec.Token(); err != io.EOF {
			return httpErrorf(http.StatusBadRequest, "the body must hold one JSON object and nothing after it")
		}
		return nil
	}
	if errors.Is(err, io.EOF) {
		return nil
	}
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return httpErrorf(http.StatusRequestEntityTooLarge, "the body is larger than %d bytes", maxBody)
	}
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		if te.Field == "" {
			return httpErrorf(http.StatusBadRequest, "the body must be a JSON object, not %s", te.Value)
		}
		return httpErrorf(http.StatusBadRequest, "field %q must be %s, not %s", te.Field, jsonKind(te.Type.Kind().String()), te.Value)
	}
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return httpErrorf(http.StatusBadRequest, "the body is not valid JSON (at byte %d): %s", se.Offset, se.Error())
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return httpErrorf(http.StatusBadRequest, "the body is not valid JSON: it ends too early")
	}
	// DisallowUnknownFields has no error type of its own.
	if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return httpErrorf(http.StatusBadRequest, "unknown field %s", field)
	}
	return httpErrorf(http.StatusBadRequest, "the body is not valid: %s", strings.TrimPrefix(err.Error(), "json: "))
}

// jsonKind names a Go kind as JSON calls it.
func jsonKind(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "struct", "map":
		return "an object"
	case "slice", "array":
		return "an array"
	}
	return "a number"
}

// writeJSON answers v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only a bug gets here: every response type marshals.
		status, b = http.StatusInternalServerError, []byte(`{"error":"the response could not be encoded"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// errorBody is every error's answer.
type errorBody struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, errorBody{fmt.Sprintf(format, args...)})
}
