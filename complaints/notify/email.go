package notify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"

	"github.com/hotline-ivr/hotline/complaints"
	"github.com/hotline-ivr/hotline/store"
)

// kindNames are the notices' kinds as the e-mail names them.
var kindNames = map[complaints.NoticeKind]string{
	complaints.NoticeRegistered: "新投诉，请处理",
	complaints.NoticeHandOff:    "投诉转交，请协同处理",
	complaints.NoticeWarning:    "投诉即将超时，请尽快处理",
	complaints.NoticeBreach:     "投诉已超时，已升级",
	complaints.NoticeReopened:   "客户不满意，投诉已重新打开",
}

// MessageID is the Message-ID of a notice's e-mail: the same on every
// attempt, so that a receiver can de-duplicate.
func MessageID(noticeID, domain string) string {
	sum := sha256.Sum256([]byte(noticeID))
	return "<notice-" + hex.EncodeToString(sum[:16]) + "@" + domain + ">"
}

// message returns the e-mail of d: headers and a base64 plain-text body
// in UTF-8.
func (n *Notifier) message(d store.NoticeDelivery) ([]byte, error) {
	no := d.Notice
	var to []string
	for _, a := range d.Targets {
		addr, err := mail.ParseAddress(a)
		if err != nil {
			return nil, fmt.Errorf("e-mail address %q: %v", a, err)
		}
		to = append(to, addr.String())
	}
	domain := "hotline.invalid"
	if i := strings.LastIndexByte(n.from.Address, '@'); i >= 0 {
		domain = n.from.Address[i+1:]
	}
	subject := no.Subject
	if subject == "" {
		subject = kindNames[no.Kind]
	}
	var b bytes.Buffer
	header := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	header("From", n.from.String())
	header("To", strings.Join(to, ", "))
	header("Subject", mime.BEncoding.Encode("UTF-8", strings.Join(strings.Fields(subject), " ")))
	header("Date", n.clock.Now().In(n.cfg.Location).Format(time.RFC1123Z))
	header("Message-ID", MessageID(no.ID, domain))
	header("X-Hotline-Notice", no.ID)
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=UTF-8")
	header("Content-Transfer-Encoding", "base64")
	b.WriteString("\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(n.text(no)))
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return b.Bytes(), nil
}

// text is the e-mail's body: the notice's body, then its particulars.
func (n *Notifier) text(no complaints.Notice) string {
	var b strings.Builder
	if body := strings.TrimRight(strings.ReplaceAll(no.Body, "\r\n", "\n"), "\n"); body != "" {
		b.WriteString(body + "\n\n")
	}
	b.WriteString("——\n")
	kind := kindNames[no.Kind]
	if kind == "" {
		kind = string(no.Kind)
	}
	const layout = "2006-01-02 15:04 MST"
	line := func(k, v string) { fmt.Fprintf(&b, "%s：%s\n", k, v) }
	line("通知类型", kind)
	line("投诉编号", no.ComplaintID)
	if no.Team != "" {
		line("责任班组", no.Team)
	}
	if !no.Due.IsZero() {
		line("处理时限", no.Due.In(n.cfg.Location).Format(layout))
	}
	line("通知时间", no.At.In(n.cfg.Location).Format(layout))
	line("通知编号", no.ID)
	b.WriteString("\n本邮件由热线系统自动发送，请勿直接回复。\n")
	return strings.ReplaceAll(b.String(), "\n", "\r\n")
}

// refused makes an SMTP 5xx reply to the envelope or the message
// permanent; anything else (4xx, the connection) is retried.
func refused(step string, err error) error {
	err = fmt.Errorf("SMTP %s: %w", step, err)
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 {
		return permanent{err}
	}
	return err
}

// sendMail makes one attempt at an e-mail delivery through the SMTP
// server: STARTTLS when offered, AUTH PLAIN when a username is set.
func (n *Notifier) sendMail(ctx context.Context, d store.NoticeDelivery) error {
	msg, err := n.message(d)
	if err != nil {
		return permanent{err}
	}
	cfg := n.cfg.SMTP
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return permanent{fmt.Errorf("SMTP address %q: %v", cfg.Addr, err)}
	}
	var dialer net.Dialer
	conn, err := dialer.DialContext(ctx, "tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("SMTP %s: %w", cfg.Addr, err)
	}
	// net/smtp knows no context: the attempt's deadline bounds the
	// connection, and its end closes it.
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("SMTP %s: greeting: %w", cfg.Addr, err)
	}
	defer c.Close()
	helo := cfg.HELO
	if helo == "" {
		helo = "localhost"
	}
	if err := c.Hello(helo); err != nil {
		return refused("EHLO", err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		tc := &tls.Config{}
		if cfg.TLS != nil {
			tc = cfg.TLS.Clone()
		}
		if tc.ServerName == "" {
			tc.ServerName = host
		}
		if err := c.StartTLS(tc); err != nil {
			return fmt.Errorf("SMTP %s: STARTTLS: %w", cfg.Addr, err)
		}
	}
	if cfg.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return fmt.Errorf("SMTP %s: a username is set but the server offers no AUTH", cfg.Addr)
		}
		if err := c.Auth(smtp.PlainAuth("", cfg.Username, cfg.Password, host)); err != nil {
			return fmt.Errorf("SMTP %s: AUTH: %w", cfg.Addr, err)
		}
	}
	if err := c.Mail(n.from.Address); err != nil {
		return refused("MAIL FROM", err)
	}
	for _, a := range d.Targets {
		addr, _ := mail.ParseAddress(a) // checked by message
		if err := c.Rcpt(addr.Address); err != nil {
			return refused("RCPT TO "+addr.Address, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return refused("DATA", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("SMTP %s: sending the message: %w", cfg.Addr, err)
	}
	if err := w.Close(); err != nil {
		return refused("message", err)
	}
	// The message is accepted: a failing QUIT does not make it undelivered.
	c.Quit()
	return nil
}
