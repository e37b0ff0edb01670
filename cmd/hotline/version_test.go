package main

import (
	"runtime"
	"runtime/debug"
	"testing"
)

func TestVersion(t *testing.T) {
	tail := " " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
	tests := []struct {
		name string
		info *debug.BuildInfo
		want string
	}{
		{"no build info", nil, "hotline (unknown)"},
		{"checkout without VCS", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "hotline (devel)"},
		{"release", &debug.BuildInfo{Main: debug.Module{Version: "v0.3.0"}}, "hotline v0.3.0"},
		{"checkout with VCS", &debug.BuildInfo{
			Main: debug.Module{Version: "(devel)"},
			Settings: []debug.BuildSetting{
				{Key: "vcs.revision", Value: "1a2b3c4d5e6f7a8b9c0d1a2b3c4d5e6f7a8b9c0d"},
				{Key: "vcs.time", Value: "2025-01-02T03:04:05Z"},
				{Key: "vcs.modified", Value: "true"},
			},
		}, "hotline (devel) (revision 1a2b3c4d5e6f, 2025-01-02T03:04:05Z, modified)"},
		{"clean checkout", &debug.BuildInfo{
			Main:     debug.Module{Version: "v0.3.1-0.20250102030405-1a2b3c4d5e6f"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "1a2b3c4d5e6f7a8b"}, {Key: "vcs.modified", Value: "false"}},
		}, "hotline v0.3.1-0.20250102030405-1a2b3c4d5e6f (revision 1a2b3c4d5e6f)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := version(tt.info); got != tt.want+tail {
				t.Fatalf("got %q, want %q", got, tt.want+tail)
			}
		})
	}
}
