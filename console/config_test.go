package console_test

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/hotline-ivr/hotline/console"
)

func TestNewRejectsBadUsers(t *testing.T) {
	good := hashes()["lilei"]
	tests := []struct {
		name  string
		users []console.User
		want  []string // each must be in the error
	}{
		{
			name: "duplicate name",
			users: []console.User{
				{Name: "wang", Role: console.RoleSupervisor, PasswordHash: good},
				{Name: "wang", Role: console.RoleAdmin, PasswordHash: good},
			},
			want: []string{`user "wang" is listed twice`},
		},
		{
			name:  "unknown role",
			users: []console.User{{Name: "zhao", Role: "boss", PasswordHash: good}},
			want:  []string{`user "zhao": unknown role "boss" (roles: agent, qa, manager, supervisor, admin)`},
		},
		{
			name:  "agent without 工号",
			users: []console.User{{Name: "lilei", Role: console.RoleAgent, PasswordHash: good}},
			want:  []string{`user "lilei": an agent needs its 工号`},
		},
		{
			name:  "password not hashed",
			users: []console.User{{Name: "root", Role: console.RoleAdmin, PasswordHash: "secret"}},
			want:  []string{`user "root": the password hash is not a bcrypt hash`},
		},
		{
			name: "two users for one agent",
			users: []console.User{
				{Name: "lilei", Role: console.RoleAgent, Agent: "1001", PasswordHash: good},
				{Name: "li", Role: console.RoleAgent, Agent: "1001", PasswordHash: good},
			},
			want: []string{`user "li": agent 1001 is already user "lilei"'s`},
		},
		{
			name: "a device for a role that does not listen in",
			users: []console.User{
				{Name: "lilei", Role: console.RoleAgent, Agent: "1001", Device: "PJSIP/1001", PasswordHash: good},
				{Name: "boss", Role: console.RoleManager, Device: "PJSIP/2009", PasswordHash: good},
			},
			want: []string{
				`user "lilei": role agent does not listen in, so it takes no device`,
				`user "boss": role manager does not listen in, so it takes no device`,
			},
		},
		{
			name: "every problem at once",
			users: []console.User{
				{Role: console.RoleAgent, Agent: "1001", PasswordHash: good},
				{Name: "zhao", Role: "boss", PasswordHash: "x"},
				{Name: "qian", Role: console.RoleAgent, PasswordHash: good},
			},
			want: []string{
				"user #1 has no name",
				`user "zhao": unknown role "boss"`,
				`user "zhao": the password hash is not a bcrypt hash`,
				`user "qian": an agent needs its 工号`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := console.New(console.Config{Users: tt.users})
			if !errors.Is(err, console.ErrInvalidConfig) {
				t.Fatalf("New: %v, want an error matching ErrInvalidConfig", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%v\ndoes not say %q", err, w)
				}
			}
		})
	}
}

func TestNewAcceptsNoACDNoFlows(t *testing.T) {
	if _, err := console.New(console.Config{Users: users()}); err != nil {
		t.Fatal(err)
	}
}

func TestHashPassword(t *testing.T) {
	h, err := console.HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if err := bcrypt.CompareHashAndPassword([]byte(h), []byte("correct horse")); err != nil {
		t.Errorf("the hash does not match its password: %v", err)
	}
	if cost, err := bcrypt.Cost([]byte(h)); err != nil || cost != bcrypt.DefaultCost {
		t.Errorf("the hash's cost is %d (%v), want bcrypt's default", cost, err)
	}
	if _, err := console.HashPassword(""); err == nil {
		t.Error("HashPassword(\"\") = nil error, want one")
	}
}
