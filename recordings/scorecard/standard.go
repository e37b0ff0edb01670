package scorecard

import _ "embed"

//go:embed standard.yaml
var standardYAML []byte

// StandardFile is the standard card's file as shipped, to start a
// centre's own from.
func StandardFile() []byte { return standardYAML }

// Standard is the centre's standard scorecard (standard.yaml): greeting,
// agent ID, forbidden wording and privacy (auto-fail), holds, transfers,
// dead air, first-contact resolution, the complaint's fields, "anything
// else?", the caller hanging up first, and the survey's result.
func Standard() *Scorecard {
	sc, err := Parse("standard.yaml", standardYAML)
	if err != nil {
		panic(err) // TestStandard keeps it valid
	}
	return sc
}
