package aritest

import (
	"cmp"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// buildRoutes lists every ARI operation the emulator serves.
func (s *Server) buildRoutes() []route {
	s.routes = nil
	s.asteriskRoutes()
	s.applicationRoutes()
	s.channelRoutes()
	s.bridgeRoutes()
	s.playbackRoutes()
	s.recordingRoutes()
	s.endpointRoutes()
	s.soundRoutes()
	// The events websocket: ServeHTTP upgrades it (serveEvents).
	s.handle("GET /events eventWebsocket Message", []string{"app!", "subscribeAll"}, nil)
	return s.routes
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (s *Server) asteriskRoutes() {
	s.handle("GET /asterisk/info getInfo AsteriskInfo", []string{"only"}, func(q *request) response {
		only := q.list("only")
		want := func(part string) bool { return len(only) == 0 || slices.Contains(only, part) }
		var info asteriskInfoJSON
		if want("build") {
			info.Build = &buildInfoJSON{OS: "Linux", Kernel: "aritest", Machine: "x86_64", Date: "2025-01-01 00:00:00 UTC", User: "aritest"}
		}
		if want("system") {
			info.System = &systemInfoJSON{Version: "22.10.1", EntityID: s.entityID}
		}
		if want("config") {
			info.Config = &configInfoJSON{Name: s.cfg.SystemName, DefaultLanguage: "en", SetID: setIDJSON{User: "asterisk", Group: "asterisk"}}
		}
		if want("status") {
			info.Status = &statusInfoJSON{StartupTime: ariTime(s.started), LastReloadTime: ariTime(s.started)}
		}
		return ok(info)
	})
	s.handle("GET /asterisk/ping ping AsteriskPing", nil, func(q *request) response {
		return ok(asteriskPingJSON{AsteriskID: s.entityID, Ping: "pong", Timestamp: ariTime(s.now())})
	})
}

func (a *app) json() applicationJSON {
	j := applicationJSON{Name: a.name, ChannelIDs: sortedKeys(a.channels), BridgeIDs: sortedKeys(a.bridges),
		EndpointIDs: sortedKeys(a.endpoints), DeviceNames: sortedKeys(a.devices),
		EventsAllowed: []any{}, EventsDisallowed: []any{}}
	return j
}

func (s *Server) applicationRoutes() {
	s.handle("GET /applications list List[Application]", nil, func(q *request) response {
		out := []applicationJSON{}
		for _, n := range sortedKeys(s.apps) {
			if s.apps[n].registered() {
				out = append(out, s.apps[n].json())
			}
		}
		return ok(out)
	})
	find := func(q *request) (*app, response, bool) {
		a := s.apps[q.str("applicationName")]
		if a == nil || !a.registered() {
			return nil, fail(http.StatusNotFound, "Application does not exist."), false
		}
		return a, response{}, true
	}
	s.handle("GET /applications/{applicationName} get Application", []string{"applicationName"}, func(q *request) response {
		a, r, found := find(q)
		if !found {
			return r
		}
		return ok(a.json())
	})
	// As res_ari's resource_applications.c answers: 422 both for a source
	// that does not exist and for one the application is not subscribed to
	// (the 409 the API description lists is never sent).
	notFound := func(src string) response {
		return fail(http.StatusUnprocessableEntity, "Event source '%s' does not exist", src)
	}
	notSubscribed := func() response {
		return fail(http.StatusUnprocessableEntity, "Event source was not subscribed to")
	}
	sub := func(on bool) func(q *request) response {
		return func(q *request) response {
			if r, good := q.require("eventSource"); !good {
				return r
			}
			a, r, found := find(q)
			if !found {
				return r
			}
			for _, src := range q.list("eventSource") {
				scheme, id, _ := strings.Cut(src, ":")
				var set map[string]bool
				var exists bool
				switch scheme {
				case "channel":
					// Channel subscriptions are counted (see app.channels):
					// unsubscribing drops this one, not the Stasis one.
					switch {
					case !on && a.channels[id] <= 0:
						return notSubscribed()
					case !on:
						if a.channels[id]--; a.channels[id] <= 0 {
							delete(a.channels, id)
						}
					case s.channels[id] == nil:
						return notFound(src)
					default:
						a.channels[id]++
					}
					continue
				case "bridge":
					set, exists = a.bridges, s.bridges[id] != nil
				case "endpoint":
					set, exists = a.endpoints, id != "" && s.endpoints[id] != nil
				case "deviceState":
					set, exists = a.devices, id != ""
				default:
					return fail(http.StatusBadRequest, "Invalid event source URI scheme '%s'", scheme)
				}
				// Asterisk unsubscribes without looking the source up.
				if !on {
					if !set[id] {
						return notSubscribed()
					}
					delete(set, id)
					continue
				}
				if !exists {
					return notFound(src)
				}
				set[id] = true
			}
			return ok(a.json())
		}
	}
	s.handle("POST /applications/{applicationName}/subscription subscribe Application", []string{"applicationName", "eventSource!"}, sub(true))
	s.handle("DELETE /applications/{applicationName}/subscription unsubscribe Application", []string{"applicationName", "eventSource!"}, sub(false))
}

var languageDir = regexp.MustCompile(`^[a-z]{2,3}(_[A-Z]{2})?$`)

// sounds lists the WAV prompts in SoundsDir by id with their languages.
// A first-level folder named like a language code holds that language;
// everything else is English, as Asterisk's default.
func (s *Server) sounds() map[string][]formatLangJSON {
	out := map[string][]formatLangJSON{}
	root := s.cfg.SoundsDir
	if root == "" {
		return out
	}
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".wav") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(strings.TrimSuffix(rel, ".wav"))
		lang := "en"
		if first, rest, found := strings.Cut(rel, "/"); found && languageDir.MatchString(first) {
			if st, err := os.Stat(filepath.Join(root, first)); err == nil && st.IsDir() {
				lang, rel = first, rest
			}
		}
		// <dir>/name.wav and <dir>/en/name.wav are both English: Asterisk's
		// media index lists each language and format of a sound once.
		if f := (formatLangJSON{Language: lang, Format: "wav"}); !slices.Contains(out[rel], f) {
			out[rel] = append(out[rel], f)
		}
		return nil
	})
	for _, v := range out {
		slices.SortFunc(v, func(a, b formatLangJSON) int { return cmp.Compare(a.Language, b.Language) })
	}
	return out
}

func (s *Server) soundRoutes() {
	s.handle("GET /sounds list List[Sound]", []string{"lang", "format"}, func(q *request) response {
		lang, format := q.str("lang"), q.str("format")
		all := s.sounds()
		out := []soundJSON{}
		for _, id := range sortedKeys(all) {
			var formats []formatLangJSON
			for _, f := range all[id] {
				if (lang == "" || f.Language == lang) && (format == "" || f.Format == format) {
					formats = append(formats, f)
				}
			}
			if len(formats) > 0 {
				out = append(out, soundJSON{ID: id, Formats: formats})
			}
		}
		if len(out) == 0 {
			// resource_sounds.c answers an empty result so, although the
			// API description declares no error for the operation.
			return fail(http.StatusNotFound, "No sounds found that matched the query")
		}
		return ok(out)
	})
	s.handle("GET /sounds/{soundId} get Sound", []string{"soundId"}, func(q *request) response {
		id := q.str("soundId")
		formats, found := s.sounds()[id]
		if !found {
			return fail(http.StatusNotFound, "Sound not found")
		}
		return ok(soundJSON{ID: id, Formats: formats})
	})
}
