package ivr

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/hotline-ivr/hotline/callflow"
)

// defaultSoundLanguage is the language Asterisk tries last for a sound.
const defaultSoundLanguage = "en"

// soundJSON is the part of ARI's Sound model the check reads.
type soundJSON struct {
	ID      string `json:"id"`
	Formats []struct {
		Language string `json:"language"`
		Format   string `json:"format"`
	} `json:"formats"`
}

// MissingSounds asks ARI (GET /sounds/{soundId}) about every sound of
// sounds and returns, by language, those Asterisk would not find for a call
// in that language. The names of each language are sorted; a nil map means
// every sound is there. Each sound is asked about once, however many
// languages use it.
//
// Asterisk plays sound S to a call in language L from the first of
// <sounds>/L/S, <sounds>/S and <sounds>/en/S that exists. Its sounds index,
// which ARI reads, takes every first-level folder of <sounds> for a
// language and leaves out the files outside them: <sounds>/L/S is sound S
// in language L, and <sounds>/S, for S = D/REST, is sound REST in
// "language" D (Hotline's own prompts, <sounds>/hotline/zh/welcome, are
// sound zh/welcome in language hotline). So S is there when ARI has S in L
// or in en, or REST in D. A sound S with no folder at all, <sounds>/S, is
// not in the index: it is reported missing though Asterisk would play it.
//
// client makes the requests (nil: http.DefaultClient, whose transport cmd/
// gives timeouts); cfg says where ARI is and who to be. An error means the
// check could not be made, not that sounds are missing.
func MissingSounds(ctx context.Context, client *http.Client, cfg ConnConfig, sounds []callflow.Sound) (map[string][]string, error) {
	if client == nil {
		client = http.DefaultClient
	}
	langs := map[string][]string{} // sound -> languages it must exist in
	for _, s := range sounds {
		if !slices.Contains(langs[s.Name], s.Lang) {
			langs[s.Name] = append(langs[s.Name], s.Lang)
		}
	}
	names := make([]string, 0, len(langs))
	for name := range langs {
		names = append(names, name)
	}
	slices.Sort(names)
	var missing map[string][]string
	for _, name := range names {
		have, err := soundLanguages(ctx, client, cfg, name)
		if err != nil {
			return nil, err
		}
		var lacking []string
		for _, lang := range langs[name] {
			if !have[lang] && !have[defaultSoundLanguage] {
				lacking = append(lacking, lang)
			}
		}
		if dir, rest, ok := strings.Cut(name, "/"); ok && len(lacking) > 0 {
			// <sounds>/NAME itself, found by every language.
			inDir, err := soundLanguages(ctx, client, cfg, rest)
			if err != nil {
				return nil, err
			}
			if inDir[dir] {
				lacking = nil
			}
		}
		for _, lang := range lacking {
			if missing == nil {
				missing = map[string][]string{}
			}
			missing[lang] = append(missing[lang], name)
		}
	}
	return missing, nil
}

// soundLanguages returns the languages ARI has the sound in; none when it
// answers 404.
func soundLanguages(ctx context.Context, client *http.Client, cfg ConnConfig, name string) (map[string]bool, error) {
	u := strings.TrimSuffix(cfg.URL, "/") + "/sounds/" + url.PathEscape(name)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConnConfig, err)
	}
	req.SetBasicAuth(cfg.Username, cfg.Password)
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: asking for sound %s: %v", ErrUnreachable, name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("asking ARI for sound %s: %w", name, err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound:
		return nil, nil
	case http.StatusUnauthorized:
		return nil, ErrUnauthorized
	default:
		return nil, fmt.Errorf("ARI answered GET /sounds/%s with %s: %s", name, resp.Status, truncate(body, 200))
	}
	var s soundJSON
	if err := json.Unmarshal(body, &s); err != nil {
		return nil, fmt.Errorf("ARI's answer to GET /sounds/%s is not a Sound: %w", name, err)
	}
	have := map[string]bool{}
	for _, f := range s.Formats {
		have[f.Language] = true
	}
	return have, nil
}
