package apidoc

import "strings"

// Primitive Swagger types used by Asterisk, and the pseudo-classes an
// operation may answer with.
const (
	typeString  = "string"
	typeInt     = "int"
	typeLong    = "long"
	typeDouble  = "double"
	typeBoolean = "boolean"
	typeDate    = "Date"
	typeObject  = "object"

	classVoid   = "void"
	classBinary = "binary"

	eventModel = "Event"
)

func isPrimitive(typ string) bool {
	switch typ {
	case typeString, typeInt, typeLong, typeDouble, typeBoolean, typeDate, typeObject:
		return true
	}
	return false
}

// listElem returns X for "List[X]".
func listElem(typ string) (string, bool) {
	if strings.HasPrefix(typ, "List[") && strings.HasSuffix(typ, "]") {
		return typ[len("List[") : len(typ)-1], true
	}
	return "", false
}

// knownType reports whether typ is a primitive, a declared model, or a
// List of a known type.
func (d *Doc) knownType(typ string) bool {
	if elem, ok := listElem(typ); ok {
		return d.knownType(elem)
	}
	if isPrimitive(typ) {
		return true
	}
	_, ok := d.models[typ]
	return ok
}
