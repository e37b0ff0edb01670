package aritest

import "time"

// dateLayout is how Asterisk writes every Date in ARI.
const dateLayout = "2006-01-02T15:04:05.000-0700"

func ariTime(t time.Time) string { return t.Format(dateLayout) }

// The JSON shapes below follow the models of Asterisk's API description
// field for field; the conformance tests validate every body against it.
// The api-docs the emulator serves describe them (apidocs_models.go): a
// field without omitempty is required, and an `ari` tag gives the Swagger
// type where the Go type does not say it (Date).

type callerIDJSON struct {
	Name   string `json:"name"`
	Number string `json:"number"`
}

type dialplanJSON struct {
	Context  string `json:"context"`
	Exten    string `json:"exten"`
	Priority int64  `json:"priority"`
	AppName  string `json:"app_name"`
	AppData  string `json:"app_data"`
}

type channelJSON struct {
	ID           string            `json:"id"`
	ProtocolID   string            `json:"protocol_id"`
	Name         string            `json:"name"`
	State        string            `json:"state"`
	Caller       callerIDJSON      `json:"caller"`
	Connected    callerIDJSON      `json:"connected"`
	AccountCode  string            `json:"accountcode"`
	Dialplan     dialplanJSON      `json:"dialplan"`
	CreationTime string            `json:"creationtime" ari:"Date"`
	Language     string            `json:"language"`
	ChannelVars  map[string]string `json:"channelvars,omitempty"`
}

type bridgeJSON struct {
	ID           string   `json:"id"`
	Technology   string   `json:"technology"`
	BridgeType   string   `json:"bridge_type"`
	BridgeClass  string   `json:"bridge_class"`
	Creator      string   `json:"creator"`
	Name         string   `json:"name"`
	Channels     []string `json:"channels"`
	VideoMode    string   `json:"video_mode,omitempty"`
	CreationTime string   `json:"creationtime" ari:"Date"`
}

type playbackJSON struct {
	ID           string `json:"id"`
	MediaURI     string `json:"media_uri"`
	NextMediaURI string `json:"next_media_uri,omitempty"`
	TargetURI    string `json:"target_uri"`
	Language     string `json:"language,omitempty"`
	State        string `json:"state"`
}

type liveRecordingJSON struct {
	Name            string `json:"name"`
	Format          string `json:"format"`
	TargetURI       string `json:"target_uri"`
	State           string `json:"state"`
	Duration        *int   `json:"duration,omitempty"`
	TalkingDuration *int   `json:"talking_duration,omitempty"`
	SilenceDuration *int   `json:"silence_duration,omitempty"`
	Cause           string `json:"cause,omitempty"`
}

type storedRecordingJSON struct {
	Name   string `json:"name"`
	Format string `json:"format"`
}

type endpointJSON struct {
	Technology string   `json:"technology"`
	Resource   string   `json:"resource"`
	State      string   `json:"state,omitempty"`
	ChannelIDs []string `json:"channel_ids"`
}

type applicationJSON struct {
	Name             string   `json:"name"`
	ChannelIDs       []string `json:"channel_ids"`
	BridgeIDs        []string `json:"bridge_ids"`
	EndpointIDs      []string `json:"endpoint_ids"`
	DeviceNames      []string `json:"device_names"`
	EventsAllowed    []any    `json:"events_allowed"`
	EventsDisallowed []any    `json:"events_disallowed"`
}

type formatLangJSON struct {
	Language string `json:"language"`
	Format   string `json:"format"`
}

type soundJSON struct {
	ID      string           `json:"id"`
	Text    string           `json:"text,omitempty"`
	Formats []formatLangJSON `json:"formats"`
}

type variableJSON struct {
	Value string `json:"value"`
}

type asteriskInfoJSON struct {
	Build  *buildInfoJSON  `json:"build,omitempty"`
	System *systemInfoJSON `json:"system,omitempty"`
	Config *configInfoJSON `json:"config,omitempty"`
	Status *statusInfoJSON `json:"status,omitempty"`
}

type buildInfoJSON struct {
	OS      string `json:"os"`
	Kernel  string `json:"kernel"`
	Options string `json:"options"`
	Machine string `json:"machine"`
	Date    string `json:"date"`
	User    string `json:"user"`
}

type systemInfoJSON struct {
	Version  string `json:"version"`
	EntityID string `json:"entity_id"`
}

type configInfoJSON struct {
	Name            string    `json:"name"`
	DefaultLanguage string    `json:"default_language"`
	SetID           setIDJSON `json:"setid"`
}

type setIDJSON struct {
	User  string `json:"user"`
	Group string `json:"group"`
}

type statusInfoJSON struct {
	StartupTime    string `json:"startup_time" ari:"Date"`
	LastReloadTime string `json:"last_reload_time" ari:"Date"`
}

type asteriskPingJSON struct {
	AsteriskID string `json:"asterisk_id"`
	Ping       string `json:"ping"`
	Timestamp  string `json:"timestamp"`
}
