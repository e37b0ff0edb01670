module github.com/hotline-ivr/hotline

go 1.26.0

require (
	github.com/CyCoreSystems/ari/v6 v6.0.0-20251024161400-681c62bc07e7
	github.com/coder/websocket v1.8.15
	github.com/jonboulle/clockwork v0.5.0
	github.com/pion/rtp v1.10.6
	go.uber.org/goleak v1.3.0
	gopkg.in/yaml.v3 v3.0.1
)

require (
	github.com/gogo/protobuf v1.3.2 // indirect
	github.com/kr/text v0.2.0 // indirect
	github.com/oklog/ulid v1.3.1 // indirect
	github.com/pion/randutil v0.1.0 // indirect
	github.com/rogpeppe/go-internal v1.14.1 // indirect
	github.com/rotisserie/eris v0.5.4 // indirect
	golang.org/x/exp v0.0.0-20251023183803-a4bb9ffd2546 // indirect
	golang.org/x/net v0.59.0 // indirect
)
