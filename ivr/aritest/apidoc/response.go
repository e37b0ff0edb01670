package apidoc

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"mime"
	"slices"
	"strings"
)

// genericErrorStatus is the status Asterisk's generated handlers answer
// with when parameter validation fails, whether or not the operation
// declares it.
const genericErrorStatus = 400

// ValidateResponse checks a complete answer to op.
//
// A 2xx answer must fit op.ResponseClass: "void" means status 204 and an
// empty body; "binary" means a non-empty body of any content type; anything
// else means a non-204 status, an application/json content type and a body
// that validates against the class (see [Doc.ValidateModel]).
//
// Any other status must be declared in op.ErrorCodes or be 400, and the body
// must be an application/json object holding exactly a string "message", as
// Asterisk's ast_ari_response_error writes it.
//
// All problems are returned joined; status and shape problems wrap
// ErrBadResponse and are prefixed with the operation ("POST
// /channels/{channelId}/play: ...").
func (d *Doc) ValidateResponse(op *Operation, status int, contentType string, body []byte) error {
	if op == nil {
		return fmt.Errorf("%w: nil operation", ErrBadResponse)
	}
	if status >= 200 && status < 300 {
		return d.validateSuccess(op, status, contentType, body)
	}
	return d.validateFailure(op, status, contentType, body)
}

func (d *Doc) validateSuccess(op *Operation, status int, contentType string, body []byte) error {
	where := op.String()
	var errs []error
	switch op.ResponseClass {
	case classVoid:
		if status != 204 {
			errs = append(errs, fieldErr(where, ErrBadResponse, "status %d, want 204 for a void operation", status))
		}
		if len(bytes.TrimSpace(body)) > 0 {
			errs = append(errs, fieldErr(where, ErrBadResponse, "void operation answered with a %d-byte body", len(body)))
		}
	case classBinary:
		if status == 204 {
			errs = append(errs, fieldErr(where, ErrBadResponse, "status 204, want a binary body"))
		}
		if len(body) == 0 {
			errs = append(errs, fieldErr(where, ErrBadResponse, "empty body, want binary content"))
		}
	default:
		if status == 204 {
			errs = append(errs, fieldErr(where, ErrBadResponse, "status 204, want a %s body", op.ResponseClass))
		}
		if err := checkJSONContentType(where, contentType); err != nil {
			errs = append(errs, err)
		}
		if err := d.ValidateModel(op.ResponseClass, body); err != nil {
			errs = append(errs, err)
		}
	}
	return joinFlat(errs)
}

func (d *Doc) validateFailure(op *Operation, status int, contentType string, body []byte) error {
	where := op.String()
	var errs []error
	if status != genericErrorStatus && !op.declaresError(status) {
		errs = append(errs, fieldErr(where, ErrBadResponse,
			"status %d is not declared (declared: %v, plus %d)", status, op.ErrorCodes, genericErrorStatus))
	}
	if err := checkJSONContentType(where, contentType); err != nil {
		errs = append(errs, err)
	}
	if err := validateErrorBody(body); err != nil {
		errs = append(errs, err)
	}
	return joinFlat(errs)
}

// errorBodyRoot is the path root of problems in an error body.
const errorBodyRoot = "error"

// validateErrorBody checks the {"message": "..."} body of an ARI error.
func validateErrorBody(body []byte) error {
	v, err := decodeJSON(body)
	if err != nil {
		return fieldErr(errorBodyRoot, ErrInvalidJSON, "%v", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return fieldErr(errorBodyRoot, ErrWrongType, "want object, got %s", kindOf(v))
	}
	c := &checker{}
	if msg, present := obj["message"]; !present {
		c.add(errorBodyRoot+".message", ErrMissingField, "missing required field")
	} else if _, ok := msg.(string); !ok {
		c.wrongType(errorBodyRoot+".message", typeString, msg)
	}
	for _, key := range slices.Sorted(maps.Keys(obj)) {
		if key != "message" {
			c.add(errorBodyRoot, ErrUnknownField, "unknown field %q", key)
		}
	}
	return c.result()
}

func checkJSONContentType(where, contentType string) error {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/json" {
		return fieldErr(where, ErrBadResponse, "content type %q, want application/json", contentType)
	}
	return nil
}

// CheckParams reports every name in names that op does not declare as a
// parameter (path, query or body), each as an error wrapping
// ErrUnknownParam. It returns nil when all are declared.
func (d *Doc) CheckParams(op *Operation, names []string) error {
	if op == nil {
		return fmt.Errorf("%w: nil operation", ErrUnknownParam)
	}
	var errs []error
	seen := map[string]bool{}
	for _, name := range names {
		if seen[name] {
			continue
		}
		seen[name] = true
		if _, ok := op.Param(name); !ok {
			errs = append(errs, fieldErr(op.String(), ErrUnknownParam,
				"unknown parameter %q (declared: %s)", name, declaredNames(op)))
		}
	}
	return joinFlat(errs)
}

func declaredNames(op *Operation) string {
	if len(op.Params) == 0 {
		return "none"
	}
	names := make([]string, len(op.Params))
	for i, p := range op.Params {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}

// joinFlat joins errs, splicing in the members of joined errors so the
// result is one flat list of problems.
func joinFlat(errs []error) error {
	var flat []error
	for _, err := range errs {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			flat = append(flat, j.Unwrap()...)
		} else {
			flat = append(flat, err)
		}
	}
	return errors.Join(flat...)
}
