package callflow

import "testing"

func TestExpand(t *testing.T) {
	vars := map[string]string{"a": "1", "b": "two", "loop": "${a}", "empty": ""}
	tests := []struct {
		name, template, want string
	}{
		{"no variables", "plain text", "plain text"},
		{"one", "order ${a}", "order 1"},
		{"adjacent", "${a}${b}", "1two"},
		{"not set", "[${nope}]", "[]"},
		{"empty", "[${empty}]", "[]"},
		{"values are not expanded again", "${loop}", "${a}"},
		{"a lone dollar", "$5 and $a", "$5 and $a"},
		{"not a variable name", "${1x} ${a b}", "${1x} ${a b}"},
		{"unclosed", "${a", "${a"},
		{"unclosed after one", "${a} ${b", "1 ${b"},
		{"empty name", "${}", "${}"},
		{"dollar before", "$${a}", "$1"},
		{"unicode around", "订单${a}号", "订单1号"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Expand(tt.template, vars); got != tt.want {
				t.Errorf("Expand(%q): got %q, want %q", tt.template, got, tt.want)
			}
		})
	}
}

func TestTemplateVars(t *testing.T) {
	tests := []struct {
		in          string
		wantNames   []string
		wantProblem string
	}{
		{"${a} and ${b_2}", []string{"a", "b_2"}, ""},
		{"none", nil, ""},
		{"${a", nil, "has ${ without a closing }"},
		{"${a.b}", nil, "${a.b} is not a variable"},
		{"${}", nil, "${} is not a variable"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			names, problem := templateVars(tt.in)
			if problem != tt.wantProblem || len(names) != len(tt.wantNames) {
				t.Fatalf("got %q, %q; want %q, %q", names, problem, tt.wantNames, tt.wantProblem)
			}
			for i := range names {
				if names[i] != tt.wantNames[i] {
					t.Errorf("got %q, want %q", names, tt.wantNames)
				}
			}
		})
	}
}
