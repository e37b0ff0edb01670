package callflow

import (
	"testing"
)

func TestCollectValid(t *testing.T) {
	f := readFlow(t, "smart-home.yaml")
	card := f.Node("card").Collect              // 16-19 digits, luhn
	order := f.Node("order-status/ask").Collect // 8-12 digits, pattern [0-9]{8,12}
	star, err := Parse("s.yaml", []byte(`flow: s
numbers: ["4001"]
languages: [zh]
start: s
nodes:
  s:
    collect: {prompt: goodbye, pattern: '[0-9]+\*[0-9]+', into: y, next: bye}
  bye:
    hangup: {}
`))
	if err != nil {
		t.Fatal(err)
	}
	withStar := star.Node("s").Collect
	tests := []struct {
		name   string
		c      *Collect
		digits string
		want   bool
	}{
		{"luhn: a good card", card, "4111111111111111", true},
		{"luhn: another good card", card, "4012888888881881", true},
		{"luhn: a wrong check digit", card, "4111111111111112", false},
		{"luhn: good 19 digits", card, "6212345678901234569", true},
		{"luhn: bad 19 digits", card, "6212345678901234565", false},
		{"luhn: too short", card, "411111111111111", false},
		{"luhn: too long", card, "41111111111111111111", false},
		{"luhn: not a digit", card, "411111111111111a", false},
		{"luhn: a star", card, "4111111111111*11", false},
		{"pattern: 8 digits", order, "12345678", true},
		{"pattern: 12 digits", order, "123456789012", true},
		{"pattern: 7 digits", order, "1234567", false},
		{"pattern: 13 digits", order, "1234567890123", false},
		{"pattern: empty", order, "", false},
		{"pattern with a star", withStar, "12*34", true},
		{"pattern with a star: none given", withStar, "1234", false},
		{"the terminator is never a digit", withStar, "12#34", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.Valid(tt.digits); got != tt.want {
				t.Errorf("Valid(%q): got %v, want %v", tt.digits, got, tt.want)
			}
		})
	}
}

func TestLuhn(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"79927398713", true},
		{"79927398710", false},
		{"0", true},
		{"18", true},
		{"81", false},
		{"", false},
		{"7992739871x", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := luhn(tt.in); got != tt.want {
				t.Errorf("luhn(%q): got %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}
