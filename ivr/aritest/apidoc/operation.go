package apidoc

import (
	"slices"
	"strings"
)

// Operation is one declared REST operation: an HTTP method on a path
// template.
type Operation struct {
	// Path is the template as in the description, without the /ari
	// prefix, e.g. "/channels/{channelId}/play".
	Path string
	// Method is the upper-case HTTP method: "GET", "POST", "PUT" or
	// "DELETE".
	Method string
	// Nickname is the operation's name within its resource, e.g. "play".
	Nickname string
	// ResponseClass is the type of a successful answer: "void" (204, no
	// body), "binary" (raw bytes), a model name or "List[Model]".
	ResponseClass string
	// Params are the declared parameters, in declaration order.
	Params []Param
	// ErrorCodes are the declared error statuses, sorted and deduplicated.
	ErrorCodes []int
}

// Param is one declared parameter of an operation.
type Param struct {
	Name string
	// ParamType is "path", "query" or "body".
	ParamType string
	// DataType is the declared type: "string", "int", "long", "boolean",
	// "containers" (a JSON object of variables), ...
	DataType string
	// Required is the declared flag; path parameters are always required,
	// even where the description omits the flag.
	Required bool
	// AllowMultiple marks a comma-separated list.
	AllowMultiple bool
	// AllowableValues is the LIST of accepted values, nil when the value is
	// unrestricted (or restricted by a RANGE, which is not kept).
	AllowableValues []string
}

func newOperation(path string, rop rawOperation) *Operation {
	op := &Operation{
		Path:          path,
		Method:        strings.ToUpper(rop.HTTPMethod),
		Nickname:      rop.Nickname,
		ResponseClass: rop.ResponseClass,
	}
	for _, rp := range rop.Parameters {
		op.Params = append(op.Params, Param{
			Name:            rp.Name,
			ParamType:       rp.ParamType,
			DataType:        rp.DataType,
			Required:        rp.Required || rp.ParamType == "path",
			AllowMultiple:   rp.AllowMultiple,
			AllowableValues: rp.AllowableValues.list(),
		})
	}
	for _, er := range rop.ErrorResponses {
		op.ErrorCodes = append(op.ErrorCodes, int(er.Code))
	}
	slices.Sort(op.ErrorCodes)
	op.ErrorCodes = slices.Compact(op.ErrorCodes)
	return op
}

// Param returns the declared parameter called name.
func (o *Operation) Param(name string) (Param, bool) {
	for _, p := range o.Params {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

// String returns "METHOD /path", e.g. "POST /channels/{channelId}/play".
func (o *Operation) String() string {
	return o.Method + " " + o.Path
}

// declaresError reports whether status is among the declared error codes.
func (o *Operation) declaresError(status int) bool {
	_, found := slices.BinarySearch(o.ErrorCodes, status)
	return found
}

// Operations returns every declared operation, sorted by Path then Method.
// The slice is a copy; the operations are shared and must not be modified.
func (d *Doc) Operations() []*Operation {
	return slices.Clone(d.ops)
}
