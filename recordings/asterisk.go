package recordings

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Asterisk downloads and deletes Asterisk's stored recordings over ARI's
// REST interface, which the ari/v6 client cannot do: GET
// /recordings/stored/{name}/file and DELETE /recordings/stored/{name},
// with HTTP basic auth, as the ARI user. It is the pipeline's Originals.
type Asterisk struct {
	base           string // ".../ari", no trailing slash
	user, password string
	client         *http.Client
	maxSize        int64
}

// DefaultMaxFileSize bounds a download: four hours of 8 kHz 16-bit stereo.
const DefaultMaxFileSize = 4 * 3600 * 8000 * 2 * 2

// NewAsterisk returns the stored recordings of the Asterisk whose ARI is
// at baseURL (like "http://127.0.0.1:8088/ari"), reached as user with
// password through client (nil: a client with a 5-minute timeout per
// request). Downloads larger than maxSize bytes are refused (0:
// DefaultMaxFileSize).
func NewAsterisk(baseURL, user, password string, client *http.Client, maxSize int64) (*Asterisk, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: ARI URL %q is not an http:// or https:// URL like http://127.0.0.1:8088/ari", ErrBadConfig, baseURL)
	}
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Minute}
	}
	if maxSize <= 0 {
		maxSize = DefaultMaxFileSize
	}
	return &Asterisk{base: strings.TrimRight(baseURL, "/"), user: user, password: password, client: client, maxSize: maxSize}, nil
}

func (a *Asterisk) request(ctx context.Context, method, name, suffix string) (*http.Response, error) {
	u := a.base + "/recordings/stored/" + url.PathEscape(name) + suffix
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return nil, err
	}
	if a.user != "" || a.password != "" {
		req.SetBasicAuth(a.user, a.password)
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s stored recording %q: %w", method, name, err)
	}
	return resp, nil
}

// Download returns the file of the stored recording name; ErrMissingRecording
// if Asterisk has none of that name.
func (a *Asterisk) Download(ctx context.Context, name string) ([]byte, error) {
	resp, err := a.request(ctx, http.MethodGet, name, "/file")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, answerError(resp, "downloading", name)
	}
	if resp.ContentLength > a.maxSize {
		return nil, fmt.Errorf("%w: stored recording %q is %d bytes, more than the %d allowed", ErrBadRecording, name, resp.ContentLength, a.maxSize)
	}
	var b []byte
	if resp.ContentLength >= 0 { // one allocation, no growing
		b = make([]byte, resp.ContentLength)
		_, err = io.ReadFull(resp.Body, b)
	} else {
		b, err = io.ReadAll(io.LimitReader(resp.Body, a.maxSize+1))
	}
	if err != nil {
		return nil, fmt.Errorf("downloading stored recording %q: %w", name, err)
	}
	if int64(len(b)) > a.maxSize {
		return nil, fmt.Errorf("%w: stored recording %q is more than the %d bytes allowed", ErrBadRecording, name, a.maxSize)
	}
	if resp.ContentLength >= 0 && int64(len(b)) != resp.ContentLength {
		return nil, fmt.Errorf("downloading stored recording %q: got %d of %d bytes", name, len(b), resp.ContentLength)
	}
	return b, nil
}

// Delete deletes the stored recording name. One that is already gone
// (404) counts as deleted: a delete repeated after a crash succeeds.
func (a *Asterisk) Delete(ctx context.Context, name string) error {
	resp, err := a.request(ctx, http.MethodDelete, name, "")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusNoContent, http.StatusOK, http.StatusNotFound:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil
	}
	return answerError(resp, "deleting", name)
}

// answerError describes an unexpected answer, with Asterisk's message.
func answerError(resp *http.Response, doing, name string) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	var m struct {
		Message string `json:"message"`
	}
	msg := strings.TrimSpace(string(body))
	if json.Unmarshal(body, &m) == nil && m.Message != "" {
		msg = m.Message
	}
	if resp.StatusCode == http.StatusNotFound {
		return fmt.Errorf("%w: %s %q: %s", ErrMissingRecording, doing, name, msg)
	}
	return fmt.Errorf("%w: %s stored recording %q: %s: %s", ErrAsterisk, doing, name, resp.Status, msg)
}
