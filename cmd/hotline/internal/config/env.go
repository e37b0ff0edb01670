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
)

// secretKeys maps the file keys people try to use for a secret (list
// indexes left out) to where the secret goes instead.
var secretKeys = map[string]string{
	"ari.password":                     "set the " + EnvARIPassword + " environment variable instead",
	"database.url":                     "set the " + EnvDatabaseURL + " environment variable instead",
	"console.users.password":           "give its bcrypt hash as password_hash instead; hotline passwd makes one",
	"http.metrics_token":               "set the " + EnvMetricsToken + " environment variable instead",
	"softphone.ice_servers.credential": "set the " + EnvTURNCredential + " environment variable instead",
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
		if c.Softphone.ICEServers[i].Username != "" {
			c.Softphone.ICEServers[i].Credential = getenv(EnvTURNCredential)
		}
	}
	if c.ARI.Password == "" {
		return fmt.Errorf("%w: export the password of ARI user %q (the one in Asterisk's ari.conf)", ErrNoARIPassword, c.ARI.Username)
	}
	return nil
}
