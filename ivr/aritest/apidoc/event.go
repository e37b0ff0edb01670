package apidoc

import "slices"

// EventTypes returns every concrete event type, i.e. every transitive
// subType of Event (StasisStart, ChannelDtmfReceived, ...), sorted.
func (d *Doc) EventTypes() []string {
	return slices.Clone(d.eventTypes)
}

// ValidateEvent checks a WebSocket event. Its "type" must name a transitive
// subType of Event; the body is validated against that type, whose
// properties include those inherited from Message and Event. Beyond the
// description, which leaves asterisk_id optional, the envelope Asterisk
// always sends is required: a non-empty "asterisk_id" and "application" and
// a "timestamp" in [DateLayout]. Paths in the errors are rooted at the
// concrete type ("StasisStart.channel.state: ..."), or at "Event" when the
// type is unknown.
func (d *Doc) ValidateEvent(body []byte) error {
	v, err := decodeJSON(body)
	if err != nil {
		return fieldErr(eventModel, ErrInvalidJSON, "%v", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return fieldErr(eventModel, ErrWrongType, "want object, got %s", kindOf(v))
	}
	c := &checker{d: d}
	root := eventModel
	typ, present := obj["type"]
	name, isString := typ.(string)
	switch {
	case !present || typ == nil:
		c.add(root+".type", ErrUnknownEventType, "missing event type")
	case !isString:
		c.add(root+".type", ErrUnknownEventType, "want string, got %s", kindOf(typ))
	case !d.isEventType(name):
		c.add(root+".type", ErrUnknownEventType, "%q is not a subType of Event", name)
	default:
		root = name
		c.object(root, d.models[name], obj)
	}
	c.envelope(root, obj, root != eventModel)
	return c.result()
}

func (d *Doc) isEventType(name string) bool {
	_, found := slices.BinarySearch(d.eventTypes, name)
	return found
}

// envelope adds the checks on asterisk_id, application and timestamp that
// the description does not make. validated tells whether the body was
// already checked against its event type, which covers the declared parts
// (application and timestamp are required there; asterisk_id is an optional
// string), so that no problem is reported twice.
func (c *checker) envelope(root string, obj map[string]any, validated bool) {
	for _, f := range []struct {
		name     string
		required bool // by the description
	}{{"asterisk_id", false}, {"application", true}} {
		path := root + "." + f.name
		v, present := obj[f.name]
		s, isString := v.(string)
		coveredPresence := validated && f.required
		switch {
		case !present:
			if !coveredPresence {
				c.add(path, ErrMissingField, "missing required field")
			}
		case v == nil:
			if !coveredPresence {
				c.add(path, ErrMissingField, "required field is null")
			}
		case !isString:
			if !validated {
				c.wrongType(path, typeString, v)
			}
		case s == "":
			c.add(path, ErrMissingField, "must not be empty")
		}
	}
	if validated {
		return
	}
	path := root + ".timestamp"
	switch ts, present := obj["timestamp"]; {
	case !present:
		c.add(path, ErrMissingField, "missing required field")
	case ts == nil:
		c.add(path, ErrMissingField, "required field is null")
	default:
		c.value(path, typeDate, nil, ts)
	}
}
