package deploy

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// kamailioBinary finds Debian's kamailio (in /usr/sbin, often off PATH).
// Missing, the test is skipped, and fails under CI=true, as the other
// tests that need an installed program do (store/pgtest, the browser
// tests).
func kamailioBinary(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("kamailio"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/kamailio"); err == nil {
		return "/usr/sbin/kamailio"
	}
	const msg = "no kamailio to run deploy/kamailio/kamailio.cfg with: run deploy/dev/deps.sh (it installs Debian's kamailio)"
	if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// kamailioRun is a running kamailio and its log (stderr).
type kamailioRun struct {
	addr *net.UDPAddr  // where it listens (UDP and TCP)
	done chan struct{} // closed when it has exited (its log ends)

	mu      sync.Mutex
	lines   []string
	changed chan struct{} // closed, and replaced, at each new line
}

// kamailioOptions are the defines kamailio.cfg takes from the command line.
type kamailioOptions struct {
	subscribers [][2]string // agent, password
	asterisks   []*sipPeer  // dispatcher.list, set 1
	carrierNet  string
}

// startKamailio runs deploy/kamailio/kamailio.cfg, unmodified, in the
// foreground on 127.0.0.1 at a free port, with the db_text tables and
// dispatcher list of o in a temporary directory, and stops it when the test
// ends. Its log is in the test's output when the test fails.
func startKamailio(t *testing.T, o kamailioOptions) *kamailioRun {
	t.Helper()
	bin := kamailioBinary(t)
	dir := t.TempDir()

	db := filepath.Join(dir, "dbtext")
	if err := os.Mkdir(db, 0o755); err != nil {
		t.Fatal(err)
	}
	version, err := os.ReadFile(filepath.Join("kamailio", "dbtext", "version"))
	if err != nil {
		t.Fatal(err)
	}
	sub, err := os.ReadFile(filepath.Join("kamailio", "dbtext", "subscriber"))
	if err != nil {
		t.Fatal(err)
	}
	header, _, _ := strings.Cut(string(sub), "\n")
	rows := header + "\n"
	for i, s := range o.subscribers {
		rows += fmt.Sprintf("%d:%s:127.0.0.1:%s::\n", i+1, s[0], s[1])
	}
	list := "# the test's Asterisk servers\n"
	for i, a := range o.asterisks {
		list += fmt.Sprintf("1 sip:%s 0 0 name=asterisk-%d\n", a.hostport(), i+1)
	}
	for name, data := range map[string]string{
		filepath.Join(db, "version"):          string(version),
		filepath.Join(db, "subscriber"):       rows,
		filepath.Join(dir, "dispatcher.list"): list,
	} {
		if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := filepath.Join(dir, "run")
	if err := os.Mkdir(run, 0o700); err != nil {
		t.Fatal(err)
	}

	port := freePort(t)
	cfg, err := filepath.Abs(filepath.Join("kamailio", "kamailio.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin,
		"-f", cfg,
		"-DD", // in the foreground, its children forked as in production
		"-E",  // log to stderr
		"-n", "2",
		"-Y", run, // runtime directory (ctl's socket, jsonrpcs's FIFO)
		"-P", filepath.Join(run, "kamailio.pid"),
		"-w", dir,
		"-A", "LISTEN_ADDR=127.0.0.1",
		"-A", "SIP_PORT="+strconv.Itoa(port),
		"-A", `PROXY_ADDR="127.0.0.1"`,
		"-A", `CARRIER_NET="`+o.carrierNet+`"`,
		"-A", `DBURL="text://`+db+`"`,
		"-A", `DISPATCHER_LIST="`+filepath.Join(dir, "dispatcher.list")+`"`,
		"-A", "DS_PING_INTERVAL=1",
		"-A", "NATPING_INTERVAL=1",
		"-A", "FR_TIMER=1000",
	)
	stderr, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	k := &kamailioRun{
		addr:    &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port},
		changed: make(chan struct{}),
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	k.done = done
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			k.mu.Lock()
			k.lines = append(k.lines, sc.Text())
			close(k.changed)
			k.changed = make(chan struct{})
			k.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		<-done
		err := cmd.Wait()
		if t.Failed() {
			k.mu.Lock()
			t.Logf("kamailio (%v) said:\n%s", err, strings.Join(k.lines, "\n"))
			k.mu.Unlock()
		}
	})
	// Its sockets are bound before it starts its processes, the last of
	// which is ctl's; then it answers a keepalive OPTIONS.
	k.waitLog(t, 0, "io_listen_loop")
	probe := newSIPPeer(t, "probe", "127.0.0.1")
	opt := probe.request("OPTIONS", "sip:"+k.addr.String(), "probe", "127.0.0.1", "")
	probe.sendTo(k.addr, opt)
	if _, rx := next(t, responseFor(opt.get("Call-ID"), "OPTIONS", 200), probe); rx.msg.status() != 200 {
		t.Fatalf("kamailio answered a keepalive OPTIONS with %q, want 200", rx.msg.first)
	}
	return k
}

// freePort is a port free on 127.0.0.1 for UDP and TCP both.
func freePort(t *testing.T) int {
	t.Helper()
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
		l.Close()
		if err == nil {
			u.Close()
			return port
		}
	}
	t.Fatal("no port free for both UDP and TCP on 127.0.0.1")
	return 0
}

// logLen is how many lines kamailio has logged so far.
func (k *kamailioRun) logLen() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.lines)
}

// waitLog waits for a line containing s among those logged from line from
// on, and returns the index after it.
func (k *kamailioRun) waitLog(t *testing.T, from int, s string) int {
	t.Helper()
	timer := time.NewTimer(sipWait)
	defer timer.Stop()
	for {
		k.mu.Lock()
		for i := from; i < len(k.lines); i++ {
			if strings.Contains(k.lines[i], s) {
				k.mu.Unlock()
				return i + 1
			}
		}
		from = len(k.lines)
		changed := k.changed
		k.mu.Unlock()
		select {
		case <-changed:
		case <-k.done:
			k.mu.Lock()
			n := len(k.lines)
			k.mu.Unlock()
			if from == n {
				t.Fatalf("kamailio exited before logging %q", s)
			}
		case <-timer.C:
			t.Fatalf("kamailio did not log %q in %v", s, sipWait)
		}
	}
}
