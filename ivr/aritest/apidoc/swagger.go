package apidoc

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// This file holds the wire form of a Swagger 1.2 API declaration, as Asterisk
// writes it. Only the fields the package uses are decoded; the rest
// (descriptions, "since", copyright headers) is ignored.

// apiDeclaration is one api-docs/*.json file.
type apiDeclaration struct {
	APIs   []rawAPI             `json:"apis"`
	Models map[string]*rawModel `json:"models"`
}

// useful reports whether the file declares anything this package needs. The
// resource listing (resources.json) has "apis" entries without operations and
// no models, so it is not.
func (a *apiDeclaration) useful() bool {
	if len(a.Models) > 0 {
		return true
	}
	for _, api := range a.APIs {
		if len(api.Operations) > 0 {
			return true
		}
	}
	return false
}

type rawAPI struct {
	Path       string         `json:"path"`
	Operations []rawOperation `json:"operations"`
}

type rawOperation struct {
	HTTPMethod     string             `json:"httpMethod"`
	Nickname       string             `json:"nickname"`
	ResponseClass  string             `json:"responseClass"`
	Parameters     []rawParameter     `json:"parameters"`
	ErrorResponses []rawErrorResponse `json:"errorResponses"`
}

type rawParameter struct {
	Name            string              `json:"name"`
	ParamType       string              `json:"paramType"`
	DataType        string              `json:"dataType"`
	Required        bool                `json:"required"`
	AllowMultiple   bool                `json:"allowMultiple"`
	AllowableValues *rawAllowableValues `json:"allowableValues"`
}

type rawErrorResponse struct {
	Code   statusCode `json:"code"`
	Reason string     `json:"reason"`
}

type rawModel struct {
	ID            string                  `json:"id"`
	Properties    map[string]*rawProperty `json:"properties"`
	SubTypes      []string                `json:"subTypes"`
	Discriminator string                  `json:"discriminator"`
}

type rawProperty struct {
	Type            string              `json:"type"`
	Required        bool                `json:"required"`
	AllowableValues *rawAllowableValues `json:"allowableValues"`
}

// rawAllowableValues is either {"valueType": "LIST", "values": [...]} or
// {"valueType": "RANGE", "min": ..., "max": ...}. Only LIST is used.
type rawAllowableValues struct {
	ValueType string `json:"valueType"`
	Values    []any  `json:"values"`
}

// list returns the LIST values as strings, or nil for any other valueType.
func (av *rawAllowableValues) list() []string {
	if av == nil || av.ValueType != "LIST" {
		return nil
	}
	out := make([]string, 0, len(av.Values))
	for _, v := range av.Values {
		if s, ok := v.(string); ok {
			out = append(out, s)
		} else {
			out = append(out, fmt.Sprint(v))
		}
	}
	return out
}

// statusCode is an HTTP status that Asterisk's files write either as a
// number (404) or, in a few places, as a string ("404").
type statusCode int

func (c *statusCode) UnmarshalJSON(b []byte) error {
	var n int
	if err := json.Unmarshal(b, &n); err == nil {
		*c = statusCode(n)
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("status code %s: want a number", b)
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("status code %q: want a number", s)
	}
	*c = statusCode(n)
	return nil
}
