package config

import (
	"slices"
	"strings"
	"testing"
)

func TestParseDispositions(t *testing.T) {
	d := Default()
	if codes := d.DispositionCodes(); len(codes) != 17 || codes[0] != "usage" || !slices.Contains(codes, "return-exchange") {
		t.Errorf("default codes %v, want the 17 categories of the service standards", codes)
	}
	got, err := Parse("hotline.yaml", []byte(minimal+"dispositions:\n  - {code: usage, kind: inquiry, zh: 使用, en: Usage}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.DispositionCodes(), []string{"usage"}) {
		t.Errorf("codes %v: a listed set replaces the default whole", got.DispositionCodes())
	}
	_, err = Parse("hotline.yaml", []byte(minimal+`dispositions:
  - {code: Usage!, kind: inquiry, zh: 使用, en: Usage}
  - {code: usage, kind: praise, zh: 使用, en: Usage}
  - {code: usage, kind: inquiry, zh: 使用, en: Usage}
  - {code: setup, kind: inquiry, zh: 设置}
`))
	for _, want := range []string{
		`hotline.yaml:6: dispositions[0].code: "Usage!" is not a usable code`,
		`hotline.yaml:7: dispositions[1].kind: "praise" is not a choice`,
		`hotline.yaml:8: dispositions[2].code: "usage" is already the code of dispositions[1]`,
		`hotline.yaml:9: dispositions[3]: needs both zh and en`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("problems %v, want %s", err, want)
		}
	}
}
