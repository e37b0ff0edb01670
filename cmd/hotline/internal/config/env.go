package config

import (
	"fmt"
	"regexp"
)

// The environment variables that carry secrets, which never go in the file.
const (
	EnvARIPassword = "HOTLINE_ARI_PASSWORD"
	EnvDatabaseURL = "DATABASE_URL"
	// EnvMetricsToken is the bearer token Prometheus sends for /metrics.
	EnvMetricsToken = "HOTLINE_METRICS_TOKEN"
	// EnvTURNCredential is the password of the softphone's TURN servers.
	EnvTURNCredential = "HOTLINE_TURN_CREDENTIAL"
	// EnvTURNSecret is the secret the softphone's TURN servers with a
	// credential_ttl share with Hotline, to make each page's credentials.
	EnvTURNSecret = "HOTLINE_TURN_SECRET"
)

// secretKeys maps the file keys people try to use for a secret (list
// indexes left out) to where the secret goes instead.
var secretKeys = map[string]string{
	"ari.password":                     "set the " + EnvARIPassword + " environment variable instead",
	"database.url":                     "set the " + EnvDatabaseURL + " environment variable instead",
	"console.users.password":           "give its bcrypt hash as password_hash instead; hotline passwd makes one",
	"http.metrics_token":               "set the " + EnvMetricsToken + " environment variable instead",
	"softphone.ice_servers.credential": "set the " + EnvTURNCredential + " environment variable instead",
	"softphone.ice_servers.secret":     "set the " + EnvTURNSecret + " environment variable instead, with credential_ttl",
	"complaints.notify.webhook_secret": "set the " + EnvWebhookSecret + " environment variable instead",
	"complaints.notify.secret":         "set the " + EnvWebhookSecret + " environment variable instead",
	"complaints.notify.default.secret": "set the " + EnvWebhookSecret + " environment variable instead",
	"complaints.notify.smtp.password":  "set the " + EnvSMTPPassword + " environment variable instead",
}

// teamSecret matches a secret tried in a team's route of the complaints'
// notices: complaints.notify.teams.NAME.secret.
var teamSecret = regexp.MustCompile(`^complaints\.notify\.teams\.[^.]+\.(secret|webhook_secret)$`)

// ApplyEnv fills the secrets from the environment through getenv (os.Getenv
// in main). The ARI password is required; DATABASE_URL is optional.
func (c *Config) ApplyEnv(getenv func(string) string) error {
	c.ARI.Password = getenv(EnvARIPassword)
	c.Database.URL = getenv(EnvDatabaseURL)
	c.HTTP.MetricsToken = getenv(EnvMetricsToken)
	c.Complaints.Notify.WebhookSecret = getenv(EnvWebhookSecret)
	c.Complaints.Notify.SMTP.Password = getenv(EnvSMTPPassword)
	for i := range c.Softphone.ICEServers {
		s := &c.Softphone.ICEServers[i]
		if s.Username != "" {
			s.Credential = getenv(EnvTURNCredential)
		}
		if s.CredentialTTL > 0 {
			if s.Secret = getenv(EnvTURNSecret); s.Secret == "" {
				return fmt.Errorf("softphone.ice_servers[%d] has a credential_ttl: export %s, the secret its TURN server shares (coturn's static-auth-secret)", i, EnvTURNSecret)
			}
		}
	}
	if c.ARI.Password == "" {
		return fmt.Errorf("%w: export the password of ARI user %q (the one in Asterisk's ari.conf)", ErrNoARIPassword, c.ARI.Username)
	}
	return nil
}
