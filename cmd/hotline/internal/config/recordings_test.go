package config

import (
	"strings"
	"testing"
	"time"
)

func TestParseRecordings(t *testing.T) {
	got, err := Parse("hotline.yaml", []byte(minimal+`recordings:
  conversations: true
  ivr: ["4008001234"]
  storage: s3://calls?region=cn-north-1
  retention:
    default: 4320h
    hotlines: {"4008001234": 8760h}
    classes: {complaint: 17520h}
  workers: 2
`))
	if err != nil {
		t.Fatal(err)
	}
	r := got.Recordings
	if !r.Conversations || !r.RecordsIVR("4008001234") || r.RecordsIVR("4008009999") || r.Workers != 2 || r.JanitorEvery != time.Hour {
		t.Errorf("recordings %+v", r)
	}
	rules := r.RetentionRules()
	if rules.For("4008001234", "") != 8760*time.Hour || rules.For("4008009999", "complaint") != 17520*time.Hour || rules.For("x", "") != 4320*time.Hour {
		t.Errorf("retention %+v", rules)
	}
	if u, err := r.StorageURL(); err != nil || u != "s3://calls?region=cn-north-1" {
		t.Errorf("storage URL %q, %v", u, err)
	}
	d := Default().Recordings
	if u, err := d.StorageURL(); err != nil || !strings.HasPrefix(u, "file:///") || !strings.HasSuffix(u, "/recordings") || !d.Conversations {
		t.Errorf("default recordings %+v: storage %q, %v", d, u, err)
	}

	_, err = Parse("hotline.yaml", []byte(minimal+`recordings:
  storage: ""
  retention:
    default: 0s
    classes: {complaint: -1h}
  workers: 0
  janitor_every: 0s
  colour: red
`))
	for _, want := range []string{
		`hotline.yaml:6: recordings.storage: must not be empty`,
		`hotline.yaml:8: recordings.retention.default: must be more than 0, got 0s`,
		`hotline.yaml:9: recordings.retention.classes.complaint: must be more than 0, got -1h0m0s`,
		`hotline.yaml:10: recordings.workers: 0 is less than 1`,
		`hotline.yaml:11: recordings.janitor_every: must be more than 0, got 0s`,
		`hotline.yaml:12: recordings.colour`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("problems %v, want %s", err, want)
		}
	}
}
