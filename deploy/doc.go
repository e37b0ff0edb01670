// Package deploy holds no code: it is the production files of deploy/ (the
// Asterisk 22 set, the systemd unit, the container image and compose.yaml,
// the Kubernetes manifests, the Kamailio configuration) and the tests that
// check them against each other and against Hotline's configuration:
// hotline.example.yaml, the environment variables the configuration reads
// (cmd/hotline/internal/config's Env* names), the music-on-hold class the
// queues play, the prompts Hotline ships.
//
// It owns deploy/ but for deploy/dev (the developers' scripts and CI) and
// deploy/scale-out.md. It must not be imported, and it touches no running
// system: the tests read files, but for TestKamailioRuns, which runs
// Debian's kamailio with kamailio.cfg as it is (its defines on the command
// line) on 127.0.0.1 and plays phones, Asterisk servers and the carrier
// over SIP on other loopback addresses (127.0.0.2-7). The other checks
// that need a tool (systemd-analyze verify, kamailio -c) run from
// deploy/dev/test.
package deploy
