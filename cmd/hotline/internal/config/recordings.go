package config

import (
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"time"

	"github.com/hotline-ivr/hotline/recordings"
)

// Recordings is what Hotline records and where the recordings are kept.
// Every agent conversation is recorded unless Conversations is false (a
// queue turns it off for itself); the IVR part of a call only for the
// hotlines listed in IVR. Recording needs the database: without
// DATABASE_URL nothing is recorded.
type Recordings struct {
	Conversations bool `yaml:"conversations"`
	// IVR lists the hotlines (dialled numbers) whose IVR part is recorded
	// too, so that a complaint about the menu can be heard.
	IVR []string `yaml:"ivr"`
	// Storage is where the stored recordings go: a folder on local disk,
	// or a gocloud.dev/blob URL (file:///var/lib/hotline/recordings,
	// s3://bucket?region=...; the S3 keys come from the usual AWS_*
	// environment variables).
	Storage   string              `yaml:"storage"`
	Retention RecordingsRetention `yaml:"retention"`
	// Workers bounds the recordings fetched and stored at once.
	Workers int `yaml:"workers"`
	// JanitorEvery is how often expired recordings are deleted.
	JanitorEvery time.Duration `yaml:"janitor_every"`
}

// RecordingsRetention is how long recordings are kept: Default, or per
// hotline, or per retention class (like complaint), as recordings.Retention.
type RecordingsRetention struct {
	Default  time.Duration            `yaml:"default"`
	Hotlines map[string]time.Duration `yaml:"hotlines"`
	Classes  map[string]time.Duration `yaml:"classes"`
}

// DefaultRecordings is what the recordings section starts from.
func DefaultRecordings() Recordings {
	return Recordings{
		Conversations: true,
		IVR:           []string{},
		Storage:       "recordings",
		Retention:     RecordingsRetention{Default: recordings.DefaultRetention},
		Workers:       4,
		JanitorEvery:  time.Hour,
	}
}

// RetentionRules is the retention as package recordings takes it.
func (r Recordings) RetentionRules() recordings.Retention {
	return recordings.Retention{Default: r.Retention.Default, Hotlines: r.Retention.Hotlines, Classes: r.Retention.Classes}
}

// StorageURL is Storage as a blob URL: a folder becomes a file:// URL of
// its absolute path, which must then exist (serve creates it).
func (r Recordings) StorageURL() (string, error) {
	if u, err := url.Parse(r.Storage); err == nil && u.Scheme != "" && len(u.Scheme) > 1 {
		return r.Storage, nil
	}
	abs, err := filepath.Abs(r.Storage)
	if err != nil {
		return "", err
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String(), nil
}

// RecordsIVR says whether the IVR part of calls to hotline is recorded.
func (r Recordings) RecordsIVR(hotline string) bool { return slices.Contains(r.IVR, hotline) }

func (d *decoder) validateRecordings(r Recordings) {
	if r.Storage == "" {
		d.at("recordings.storage", "a folder like /var/lib/hotline/recordings, or a URL like s3://bucket?region=cn-north-1", "must not be empty")
	} else if u, err := url.Parse(r.Storage); err != nil {
		d.at("recordings.storage", "a folder, or a URL like s3://bucket?region=cn-north-1", "%q is not a URL: %v", r.Storage, err)
	} else if u.Scheme == "file" && u.Path == "" {
		d.at("recordings.storage", "file:///var/lib/hotline/recordings: three slashes and an absolute path", "%q names no folder", r.Storage)
	}
	for i, h := range r.IVR {
		if h == "" {
			d.at(fmt.Sprintf("recordings.ivr[%d]", i), "a dialled number a flow answers, like 4008001234", "must not be empty")
		}
	}
	d.positive("recordings.retention.default", r.Retention.Default)
	for _, m := range []struct {
		field string
		v     map[string]time.Duration
	}{{"hotlines", r.Retention.Hotlines}, {"classes", r.Retention.Classes}} {
		for k, v := range m.v {
			if v <= 0 {
				d.at(joinPath("recordings.retention."+m.field, k), "like 4320h for 180 days", "must be more than 0, got %s", v)
			}
		}
	}
	if r.Workers < 1 {
		d.at("recordings.workers", "", "%d is less than 1", r.Workers)
	}
	d.positive("recordings.janitor_every", r.JanitorEvery)
}
