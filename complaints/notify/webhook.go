package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/hotline-ivr/hotline/complaints"
	"github.com/hotline-ivr/hotline/store"
)

// Payload is the JSON body a webhook receives: the notice.
type Payload struct {
	ID          string     `json:"id"`
	Kind        string     `json:"kind"`
	ComplaintID string     `json:"complaint_id"`
	Team        string     `json:"team,omitempty"`
	To          []string   `json:"to,omitempty"`
	Subject     string     `json:"subject"`
	Body        string     `json:"body"`
	At          time.Time  `json:"at"`
	Due         *time.Time `json:"due,omitempty"`
}

// PayloadOf returns the webhook body of a notice.
func PayloadOf(n complaints.Notice) Payload {
	p := Payload{ID: n.ID, Kind: string(n.Kind), ComplaintID: n.ComplaintID, Team: n.Team, To: n.To,
		Subject: n.Subject, Body: n.Body, At: n.At.UTC()}
	if !n.Due.IsZero() {
		due := n.Due.UTC()
		p.Due = &due
	}
	return p
}

// The webhook's headers.
const (
	// SignatureHeader is "sha256=" and the hex HMAC-SHA256 of the body
	// with the WebhookSecret.
	SignatureHeader = "X-Hotline-Signature"
	// IdempotencyHeader is the same on every attempt of one notice on the
	// webhook: the notice's ID, "/", "webhook".
	IdempotencyHeader = "Idempotency-Key"
	// AttemptHeader counts the attempts, from 1.
	AttemptHeader = "X-Hotline-Attempt"
)

// Sign returns the X-Hotline-Signature of body with secret.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("webhook URL: %v", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("webhook URL %q: not an http(s) URL", s)
	}
	return nil
}

// post makes one attempt at a webhook delivery: 2xx is delivered, a 4xx
// other than 408 and 429 is permanent, anything else is retried (a
// Retry-After in seconds is honoured up to MaxBackoff).
func (n *Notifier) post(ctx context.Context, d store.NoticeDelivery) error {
	body, err := json.Marshal(PayloadOf(d.Notice))
	if err != nil {
		return permanent{err}
	}
	target := d.Targets[0]
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return permanent{fmt.Errorf("webhook %s: %v", target, err)}
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "Hotline")
	secret := n.cfg.WebhookSecret
	if r := n.route(d.Notice.Team); r.Secret != "" {
		secret = r.Secret
	}
	req.Header.Set(SignatureHeader, Sign(secret, body))
	req.Header.Set(IdempotencyHeader, d.Key())
	req.Header.Set(AttemptHeader, strconv.Itoa(d.Attempts))
	resp, err := n.cfg.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("webhook %s: %w", target, err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	err = fmt.Errorf("webhook %s: HTTP %s: %s", target, resp.Status, bytes.TrimSpace(snippet))
	switch {
	case resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusRequestTimeout &&
		resp.StatusCode != http.StatusTooManyRequests:
		return permanent{err}
	case resp.Header.Get("Retry-After") != "":
		if s, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil && s > 0 {
			return retryAfter{err, time.Duration(s) * time.Second}
		}
	}
	return err
}
