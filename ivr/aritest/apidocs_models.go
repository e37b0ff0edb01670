package aritest

import (
	"fmt"
	"reflect"
	"strings"
)

// This file holds what the served api-docs say about parameters and models
// beyond what the routes themselves carry: the Swagger type of each
// parameter name, and which Go type (or event table row) each model is.

// paramDoc is the Swagger description of a parameter name. Asterisk gives
// one name the same type in every operation that takes it, except where
// paramDocFor says otherwise.
type paramDoc struct {
	dataType      string
	allowMultiple bool
	values        []string // allowableValues LIST
}

var paramDocs = map[string]paramDoc{
	"absorbDTMF":                  {dataType: "boolean"},
	"after":                       {dataType: "int"},
	"app":                         {},
	"appArgs":                     {},
	"beep":                        {dataType: "boolean"},
	"before":                      {dataType: "int"},
	"between":                     {dataType: "int"},
	"channel":                     {allowMultiple: true},
	"connection_type":             {values: []string{"client", "server"}},
	"direction":                   {values: []string{"both", "in", "out"}},
	"duration":                    {dataType: "int"},
	"encapsulation":               {values: []string{"rtp", "audiosocket", "none"}},
	"eventSource":                 {allowMultiple: true},
	"ifExists":                    {values: []string{"fail", "overwrite", "append"}},
	"inhibitConnectedLineUpdates": {dataType: "boolean"},
	"maxDurationSeconds":          {dataType: "int"},
	"maxSilenceSeconds":           {dataType: "int"},
	"media":                       {allowMultiple: true},
	"mute":                        {dataType: "boolean"},
	"offsetms":                    {dataType: "int"},
	"only":                        {allowMultiple: true, values: []string{"build", "system", "config", "status"}},
	"operation":                   {values: []string{"restart", "pause", "unpause", "reverse", "forward"}},
	"priority":                    {dataType: "long"},
	"reason": {values: []string{"normal", "busy", "congestion", "no_answer", "timeout", "rejected", "unallocated",
		"normal_unspecified", "number_incomplete", "codec_mismatch", "interworking", "failure", "answered_elsewhere"}},
	"report_events": {dataType: "boolean"},
	"skipms":        {dataType: "int"},
	"spy":           {values: []string{"none", "both", "out", "in"}},
	"subscribeAll":  {dataType: "boolean"},
	"terminateOn":   {values: []string{"none", "any", "*", "#"}},
	"timeout":       {dataType: "int"},
	"transport":     {values: []string{"udp", "tcp", "websocket"}},
	"variables":     {dataType: "containers"},
	"whisper":       {values: []string{"none", "both", "out", "in"}},
}

// paramDocFor is the description of a parameter of one operation.
func paramDocFor(r *route, name string) (paramType string, d paramDoc) {
	d = paramDocs[name]
	if d.dataType == "" {
		d.dataType = "string"
	}
	switch {
	case strings.Contains(r.Path, "{"+name+"}"):
		return "path", paramDoc{dataType: "string"}
	case d.dataType == "containers":
		return "body", d
	case name == "priority" && r.Nickname == "continueInDialplan":
		d.dataType = "int"
	case name == "app" && r.Nickname == "eventWebsocket":
		d.allowMultiple = true
	case name == "direction" && r.Nickname == "externalMedia":
		d.values = []string{"both"}
	}
	return "query", d
}

// modelDoc is one model of the served api-docs: a Go type whose JSON
// fields are its properties, or a list of properties ("name:Type", with a
// trailing "!" when required) for events, which the emulator builds as
// maps.
type modelDoc struct {
	name     string
	resource string // the declaration it is served in
	goType   reflect.Type
	props    []string
	subTypes []string
}

// models lists every model the served api-docs describe.
func modelDocs() []modelDoc {
	t := func(v any) reflect.Type { return reflect.TypeOf(v) }
	docs := []modelDoc{
		{name: "AsteriskInfo", resource: "asterisk", goType: t(asteriskInfoJSON{})},
		{name: "BuildInfo", resource: "asterisk", goType: t(buildInfoJSON{})},
		{name: "SystemInfo", resource: "asterisk", goType: t(systemInfoJSON{})},
		{name: "ConfigInfo", resource: "asterisk", goType: t(configInfoJSON{})},
		{name: "SetId", resource: "asterisk", goType: t(setIDJSON{})},
		{name: "StatusInfo", resource: "asterisk", goType: t(statusInfoJSON{})},
		{name: "AsteriskPing", resource: "asterisk", goType: t(asteriskPingJSON{})},
		{name: "Variable", resource: "asterisk", goType: t(variableJSON{})},
		{name: "Endpoint", resource: "endpoints", goType: t(endpointJSON{})},
		{name: "CallerID", resource: "channels", goType: t(callerIDJSON{})},
		{name: "DialplanCEP", resource: "channels", goType: t(dialplanJSON{})},
		{name: "Channel", resource: "channels", goType: t(channelJSON{})},
		{name: "Bridge", resource: "bridges", goType: t(bridgeJSON{})},
		{name: "StoredRecording", resource: "recordings", goType: t(storedRecordingJSON{})},
		{name: "LiveRecording", resource: "recordings", goType: t(liveRecordingJSON{})},
		{name: "FormatLangPair", resource: "sounds", goType: t(formatLangJSON{})},
		{name: "Sound", resource: "sounds", goType: t(soundJSON{})},
		{name: "Playback", resource: "playbacks", goType: t(playbackJSON{})},
		{name: "Application", resource: "applications", goType: t(applicationJSON{})},
		{name: "Message", resource: "events", props: []string{"type:string!", "asterisk_id:string"}, subTypes: []string{"Event"}},
		{name: "Event", resource: "events", props: []string{"application:string!", "timestamp:Date!"}},
	}
	event := len(docs) - 1
	for _, e := range eventDocs {
		docs[event].subTypes = append(docs[event].subTypes, e[0])
		docs = append(docs, modelDoc{name: e[0], resource: "events", props: e[1:]})
	}
	return docs
}

// eventDocs are the events the emulator sends, with their properties
// beyond Event's: the event's name first, then "name:Type[!]".
var eventDocs = [][]string{
	{"ApplicationMoveFailed", "channel:Channel!", "destination:string!", "args:List[string]!"},
	{"ApplicationReplaced"},
	{"BridgeCreated", "bridge:Bridge!"},
	{"BridgeDestroyed", "bridge:Bridge!"},
	{"ChannelCallerId", "caller_presentation:int!", "caller_presentation_txt:string!", "channel:Channel!"},
	{"ChannelCreated", "channel:Channel!"},
	{"ChannelDestroyed", "cause:int!", "cause_txt:string!", "channel:Channel!"},
	{"ChannelDialplan", "channel:Channel!", "dialplan_app:string!", "dialplan_app_data:string!"},
	{"ChannelDtmfReceived", "digit:string!", "duration_ms:int!", "channel:Channel!"},
	{"ChannelEnteredBridge", "bridge:Bridge!", "channel:Channel"},
	{"ChannelHangupRequest", "cause:int", "soft:boolean", "channel:Channel!"},
	{"ChannelHold", "channel:Channel!"},
	{"ChannelLeftBridge", "bridge:Bridge!", "channel:Channel!"},
	{"ChannelStateChange", "channel:Channel!"},
	{"ChannelUnhold", "channel:Channel!"},
	{"ChannelVarset", "variable:string!", "value:string!", "channel:Channel"},
	{"Dial", "peer:Channel!", "dialstring:string", "dialstatus:string!"},
	{"EndpointStateChange", "endpoint:Endpoint!"},
	{"PlaybackStarted", "playback:Playback!"},
	{"PlaybackContinuing", "playback:Playback!"},
	{"PlaybackFinished", "playback:Playback!"},
	{"RecordingStarted", "recording:LiveRecording!"},
	{"RecordingFinished", "recording:LiveRecording!"},
	{"RecordingFailed", "recording:LiveRecording!"},
	{"StasisStart", "args:List[string]!", "channel:Channel!"},
	{"StasisEnd", "channel:Channel!"},
}

// property is one model property as the api-docs give it.
type property struct {
	Type     string `json:"type"`
	Required bool   `json:"required"`
}

// properties describes the model's properties by JSON name.
func (m modelDoc) properties(names map[reflect.Type]string) (map[string]property, error) {
	out := map[string]property{}
	for _, p := range m.props {
		spec, req := strings.CutSuffix(p, "!")
		name, typ, found := strings.Cut(spec, ":")
		if !found {
			return nil, fmt.Errorf("model %s: property %q: want name:Type", m.name, p)
		}
		out[name] = property{Type: typ, Required: req}
	}
	if m.goType == nil {
		return out, nil
	}
	for i := range m.goType.NumField() {
		f := m.goType.Field(i)
		tag, omit := strings.CutSuffix(f.Tag.Get("json"), ",omitempty")
		if tag == "" || tag == "-" {
			return nil, fmt.Errorf("model %s: field %s has no JSON name", m.name, f.Name)
		}
		typ := f.Tag.Get("ari")
		if typ == "" {
			var err error
			if typ, err = swaggerType(f.Type, names); err != nil {
				return nil, fmt.Errorf("model %s: field %s: %w", m.name, f.Name, err)
			}
		}
		out[tag] = property{Type: typ, Required: !omit}
	}
	return out, nil
}

// swaggerType names a Go type as the api-docs do.
func swaggerType(t reflect.Type, names map[reflect.Type]string) (string, error) {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n, found := names[t]; found {
		return n, nil
	}
	switch t.Kind() {
	case reflect.String:
		return "string", nil
	case reflect.Bool:
		return "boolean", nil
	case reflect.Int, reflect.Int32:
		return "int", nil
	case reflect.Int64:
		return "long", nil
	case reflect.Float64:
		return "double", nil
	case reflect.Map, reflect.Interface:
		return "object", nil
	case reflect.Slice:
		elem, err := swaggerType(t.Elem(), names)
		if err != nil {
			return "", err
		}
		return "List[" + elem + "]", nil
	}
	return "", fmt.Errorf("no Swagger type for Go type %s", t)
}
