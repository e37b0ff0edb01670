package deploy

import (
	"net"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/ivr/prompts"
)

func asteriskFile(t *testing.T, name string) *iniFile {
	t.Helper()
	return readINI(t, filepath.Join("asterisk", name))
}

// TestAsteriskARI: the ARI user, the HTTP server and the Stasis
// application are the ones hotline.example.yaml names.
func TestAsteriskARI(t *testing.T) {
	cfg := readHotlineConfig(t, "hotline.example.yaml")
	ari := asteriskFile(t, "ari.conf")
	if g := ari.section("general"); g == nil || get(g.keys, "enabled") != "yes" {
		t.Errorf("ari.conf: [general] must say enabled = yes")
	}
	user := ari.section(cfg.ARI.Username)
	switch {
	case user == nil:
		t.Errorf("ari.conf has no [%s], hotline.yaml's ari.username", cfg.ARI.Username)
	case get(user.keys, "type") != "user":
		t.Errorf("ari.conf: [%s] type = %q, want user", user.name, get(user.keys, "type"))
	case get(user.keys, "read_only") != "no":
		t.Errorf("ari.conf: [%s] must be read_only = no: Hotline answers, plays, bridges and hangs up", user.name)
	case get(user.keys, "password") == "":
		t.Errorf("ari.conf: [%s] has no password", user.name)
	}

	u, err := url.Parse(cfg.ARI.URL)
	if err != nil {
		t.Fatal(err)
	}
	http := asteriskFile(t, "http.conf").section("general")
	if http == nil {
		t.Fatal("http.conf has no [general]")
	}
	if get(http.keys, "enabled") != "yes" {
		t.Error("http.conf: enabled = yes is missing: no ARI without it")
	}
	bind := get(http.keys, "bindaddr")
	if ip := net.ParseIP(bind); ip == nil || !ip.IsLoopback() {
		t.Errorf("http.conf: bindaddr = %q, want loopback by default (ARI controls every call)", bind)
	}
	if u.Hostname() != bind {
		t.Errorf("ari.url %s is not on http.conf's bindaddr %s", cfg.ARI.URL, bind)
	}
	if u.Port() != get(http.keys, "bindport") {
		t.Errorf("ari.url %s is not on http.conf's bindport %s", cfg.ARI.URL, get(http.keys, "bindport"))
	}
	if u.Path != "/ari" || get(http.keys, "prefix") != "" {
		t.Errorf("ari.url path %q with http.conf prefix %q: want /ari and no prefix", u.Path, get(http.keys, "prefix"))
	}
}

var (
	stasisCall = regexp.MustCompile(`^n,Stasis\(\$\{HOTLINE_APP\},\$\{EXTEN\}\)$`)
	gotoCall   = regexp.MustCompile(`Goto\(([^,()]+),`)
	gotoIfCtx  = regexp.MustCompile(`GotoIf\(.*[?:]([A-Za-z0-9_-]+),[^,()]+,[^,()]+\)`)
	playback   = regexp.MustCompile(`Playback\(hotline/([a-z]+)/([a-z0-9-]+)\)`)
)

// TestAsteriskDialplan: calls go to the Stasis application of
// hotline.yaml with the dialled number, fall back to the sorry prompt
// (one Hotline ships) when Hotline is not connected, and every context
// named anywhere exists.
func TestAsteriskDialplan(t *testing.T) {
	cfg := readHotlineConfig(t, "hotline.example.yaml")
	ext := asteriskFile(t, "extensions.conf")
	globals := ext.section("globals")
	if globals == nil || get(globals.keys, "HOTLINE_APP") != cfg.ARI.Application {
		t.Errorf("extensions.conf: [globals] HOTLINE_APP must be %q, hotline.yaml's ari.application", cfg.ARI.Application)
	}
	hl := ext.section("hotline")
	if hl == nil {
		t.Fatal("extensions.conf has no [hotline]")
	}
	var steps []string
	for _, k := range hl.keys {
		steps = append(steps, k.value)
	}
	stasis := slices.IndexFunc(steps, stasisCall.MatchString)
	fallback := slices.IndexFunc(steps, func(s string) bool {
		return strings.Contains(s, `"${STASISSTATUS}" = "FAILED"`) && strings.Contains(s, "?fallback")
	})
	label := slices.IndexFunc(steps, func(s string) bool { return strings.HasPrefix(s, "n(fallback),") })
	if stasis < 0 || fallback != stasis+1 || label < fallback {
		t.Errorf("extensions.conf [hotline]: want Stasis(${HOTLINE_APP},${EXTEN}), then a GotoIf on STASISSTATUS = FAILED to a (fallback) label after it; have %q", steps)
	}
	if label >= 0 {
		tail := strings.Join(steps[label:], "\n")
		for _, want := range []string{"Answer()", "Playback(", "Hangup("} {
			if !strings.Contains(tail, want) {
				t.Errorf("extensions.conf [hotline]: the fallback lacks %s", want)
			}
		}
	}

	contexts := map[string]bool{}
	for _, s := range ext.sections {
		contexts[s.name] = true
	}
	for _, s := range ext.sections {
		for _, k := range s.keys {
			if k.key == "include" && !contexts[k.value] {
				t.Errorf("extensions.conf:%d: include => %s: no such context", k.line, k.value)
			}
			for _, m := range gotoCall.FindAllStringSubmatch(k.value, -1) {
				if !contexts[m[1]] {
					t.Errorf("extensions.conf:%d: Goto(%s,...): no such context", k.line, m[1])
				}
			}
			for _, m := range gotoIfCtx.FindAllStringSubmatch(k.value, -1) {
				if !contexts[m[1]] {
					t.Errorf("extensions.conf:%d: GotoIf(...?%s,...): no such context", k.line, m[1])
				}
			}
			for _, m := range playback.FindAllStringSubmatch(k.value, -1) {
				if !prompts.Has(m[2], m[1]) {
					t.Errorf("extensions.conf:%d: plays hotline/%s/%s, which Hotline's prompts (hotline prompts install) lack", k.line, m[1], m[2])
				}
			}
		}
	}
	pjsip := asteriskFile(t, "pjsip.conf")
	for _, s := range pjsip.sections {
		keys := pjsip.resolved(t, s)
		if c := get(keys, "context"); c != "" && get(keys, "type") == "endpoint" && !contexts[c] {
			t.Errorf("pjsip.conf:%d: [%s] context = %s, which extensions.conf lacks", s.line, s.name, c)
		}
	}
}

// TestAsteriskPJSIP: every PJSIP endpoint hotline.yaml dials (the trunk
// of call-backs and transfers, the agents' and supervisors' phones) exists,
// with its transport, aors and auth.
func TestAsteriskPJSIP(t *testing.T) {
	cfg := readHotlineConfig(t, "hotline.example.yaml")
	pj := asteriskFile(t, "pjsip.conf")

	dials := map[string]string{
		"callbacks.customer_endpoint": cfg.Callbacks.CustomerEndpoint,
		"transfers.endpoint":          cfg.Transfers.Endpoint,
	}
	for _, a := range cfg.Agents {
		dials["agents["+a.ID+"].device"] = a.Device
	}
	for _, u := range cfg.Console.Users {
		if u.Device != "" {
			dials["console.users["+u.Name+"].device"] = u.Device
		}
	}
	checked := 0
	for what, dial := range dials {
		name, ok := pjsipEndpoint(dial)
		if !ok {
			continue
		}
		checked++
		ep := pj.typed(t, name, "endpoint")
		if ep == nil {
			t.Errorf("%s %s: pjsip.conf has no endpoint [%s]", what, dial, name)
			continue
		}
		if get(ep, "context") == "" {
			t.Errorf("pjsip.conf: endpoint [%s] has no context", name)
		}
		if tr := get(ep, "transport"); pj.typed(t, tr, "transport") == nil {
			t.Errorf("pjsip.conf: endpoint [%s] transport = %q: no such transport", name, tr)
		}
		if get(ep, "direct_media") != "no" {
			t.Errorf("pjsip.conf: endpoint [%s] needs direct_media = no: Hotline records and bridges its media", name)
		}
		if get(ep, "dtmf_mode") != "rfc4733" {
			t.Errorf("pjsip.conf: endpoint [%s] dtmf_mode = %q, want rfc4733 (the IVR's digits)", name, get(ep, "dtmf_mode"))
		}
		aors := get(ep, "aors")
		if aors == "" {
			t.Errorf("pjsip.conf: endpoint [%s] has no aors: Asterisk cannot dial it", name)
		}
		for _, a := range strings.Split(aors, ",") {
			if a != "" && pj.typed(t, strings.TrimSpace(a), "aor") == nil {
				t.Errorf("pjsip.conf: endpoint [%s] aors = %s: no aor [%s]", name, aors, a)
			}
		}
		if auth := get(ep, "auth"); auth != "" && pj.typed(t, auth, "auth") == nil {
			t.Errorf("pjsip.conf: endpoint [%s] auth = %s: no such auth", name, auth)
		}
		if strings.Contains(dial, "@") { // a trunk: identified by address
			found := false
			for _, s := range pj.sections {
				keys := pj.resolved(t, s)
				if get(keys, "type") == "identify" && get(keys, "endpoint") == name && len(all(keys, "match")) > 0 {
					found = true
				}
			}
			if !found {
				t.Errorf("pjsip.conf: the trunk [%s] has no identify: its inbound calls would be refused", name)
			}
		}
	}
	if checked < 3 {
		t.Fatalf("checked %d PJSIP endpoints of hotline.example.yaml, want the trunk and phones", checked)
	}
	// Every section's type is one PJSIP knows.
	types := []string{"transport", "endpoint", "aor", "auth", "identify", "registration", "domain_alias", "acl", "contact", "system", "global"}
	for _, s := range pj.sections {
		if s.isTemplate {
			continue
		}
		if typ := get(pj.resolved(t, s), "type"); !slices.Contains(types, typ) {
			t.Errorf("pjsip.conf:%d: [%s] type = %q", s.line, s.name, typ)
		}
	}
}

// TestAsteriskMOH: the class the queues play exists.
func TestAsteriskMOH(t *testing.T) {
	moh := asteriskFile(t, "musiconhold.conf")
	c := moh.section(acd.DefaultMOHClass)
	if c == nil {
		t.Fatalf("musiconhold.conf has no [%s], the class Hotline's queues play (acd.DefaultMOHClass)", acd.DefaultMOHClass)
	}
	if get(c.keys, "mode") != "files" || get(c.keys, "directory") == "" {
		t.Errorf("musiconhold.conf [%s]: want mode = files and a directory", c.name)
	}
}

// TestAsteriskRTP: the RTP range is sane and clear of the softphone's ICE
// ports when hotline.yaml gives them.
func TestAsteriskRTP(t *testing.T) {
	cfg := readHotlineConfig(t, "hotline.example.yaml")
	g := asteriskFile(t, "rtp.conf").section("general")
	if g == nil {
		t.Fatal("rtp.conf has no [general]")
	}
	lo, err1 := strconv.Atoi(get(g.keys, "rtpstart"))
	hi, err2 := strconv.Atoi(get(g.keys, "rtpend"))
	if err1 != nil || err2 != nil || lo < 1024 || hi <= lo || hi > 65535 {
		t.Fatalf("rtp.conf: rtpstart %q, rtpend %q", get(g.keys, "rtpstart"), get(g.keys, "rtpend"))
	}
	if s := cfg.Softphone; s.ICEPortMin != 0 && s.ICEPortMin <= hi && s.ICEPortMax >= lo {
		t.Errorf("softphone ICE ports %d-%d overlap rtp.conf's %d-%d", s.ICEPortMin, s.ICEPortMax, lo, hi)
	}
}

// asteriskModules are what Hotline uses, each with what it requires in
// Asterisk 22's source (AST_MODULE_INFO's .requires): with autoload = no,
// every one must be listed.
var asteriskModules = map[string][]string{
	"app_stasis":                       {"res_stasis", "res_ari"},
	"res_ari":                          {"res_stasis", "res_http_websocket"}, // and res_websocket_client from 22.5
	"res_ari_channels":                 {"res_ari", "res_ari_model", "res_stasis", "res_stasis_answer", "res_stasis_playback", "res_stasis_recording", "res_stasis_snoop"},
	"res_ari_bridges":                  {"res_ari", "res_ari_model", "res_stasis", "res_stasis_recording", "res_stasis_playback"},
	"res_ari_events":                   {"res_ari", "res_ari_model", "res_stasis", "res_http_websocket"},
	"res_ari_recordings":               {"res_ari", "res_ari_model", "res_stasis", "res_stasis_recording"},
	"res_ari_sounds":                   {"res_ari", "res_ari_model", "res_stasis"},
	"res_ari_playbacks":                {"res_ari", "res_ari_model", "res_stasis", "res_stasis_playback"},
	"res_ari_asterisk":                 {"res_ari", "res_ari_model", "res_stasis"},
	"res_ari_endpoints":                {"res_ari", "res_ari_model", "res_stasis"},
	"res_stasis_playback":              {"res_stasis", "res_stasis_recording"},
	"chan_pjsip":                       {"res_pjsip", "res_pjsip_session", "res_pjsip_pubsub"},
	"res_pjsip":                        {"res_pjproject", "res_sorcery_config", "res_sorcery_memory", "res_sorcery_astdb"},
	"res_pjsip_sdp_rtp":                {"res_pjsip", "res_pjsip_session", "res_rtp_asterisk"},
	"res_pjsip_nat":                    {"res_pjsip", "res_pjsip_session"},
	"res_pjsip_registrar":              {"res_pjproject", "res_pjsip"},
	"res_pjsip_endpoint_identifier_ip": {"res_pjsip"},
	"res_pjsip_header_funcs":           {"res_pjsip", "res_pjsip_session"}, // [from-kamailio]
	"res_rtp_asterisk":                 {"res_pjproject"},
	"chan_rtp":                         {"res_rtp_multicast"}, // externalMedia: the browser softphone
	"res_musiconhold":                  nil,
	"res_timing_timerfd":               nil,
	"pbx_config":                       nil,
	"app_playback":                     nil,
	"func_channel":                     nil, // CHANNEL(language)
	"bridge_simple":                    nil,
	"bridge_softmix":                   nil,
	"bridge_holding":                   nil,
	"chan_bridge_media":                nil,
	"format_wav":                       nil, // Hotline's prompts and recordings
	"codec_alaw":                       nil,
	"codec_ulaw":                       nil,
}

// TestAsteriskModules: modules.conf loads exactly what it lists, which
// covers what Hotline uses and what those require.
func TestAsteriskModules(t *testing.T) {
	m := asteriskFile(t, "modules.conf").section("modules")
	if m == nil {
		t.Fatal("modules.conf has no [modules]")
	}
	if get(m.keys, "autoload") != "no" {
		t.Error("modules.conf: autoload must be no (load only what Hotline uses)")
	}
	loaded := map[string]int{}
	for _, k := range m.keys {
		switch k.key {
		case "load", "require":
			name, ok := strings.CutSuffix(k.value, ".so")
			if !ok {
				t.Errorf("modules.conf:%d: %s = %s: want a file name ending in .so", k.line, k.key, k.value)
			}
			if prev, dup := loaded[name]; dup {
				t.Errorf("modules.conf:%d: %s listed again (line %d)", k.line, name, prev)
			}
			loaded[name] = k.line
		case "autoload", "noload", "preload":
		default:
			t.Errorf("modules.conf:%d: unknown key %q", k.line, k.key)
		}
	}
	for mod, reqs := range asteriskModules {
		if _, ok := loaded[mod]; !ok {
			t.Errorf("modules.conf does not load %s, which Hotline uses", mod)
		}
		for _, r := range reqs {
			if _, ok := loaded[r]; !ok {
				t.Errorf("modules.conf loads %s but not %s, which it requires", mod, r)
			}
		}
	}
}
