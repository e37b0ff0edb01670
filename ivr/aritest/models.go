package aritest

import "time"

// dateLayout is how Asterisk writes every Date in ARI.
const dateLayout = "2006-01-02T15:04:05.000-0700"

func ariTime(t time.Time) string { return t.Format(dateLayout) }

// The JSON shapes below follow the models of Asterisk's API description
// field for field; the conformance tests validate every body against it.

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
	CreationTime string            `json:"creationtime"`
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
	CreationTime string   `json:"creationtime"`
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
	Formats []formatLangJSON `json:"formats"`
}

type variableJSON struct {
	Value string `json:"value"`
}
