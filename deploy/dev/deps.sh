#!/usr/bin/env bash
# Installs what Hotline's tests and demo need, when it is missing, on Debian 12:
# PostgreSQL's server binaries, chromium, chromedriver and a Chinese font
# (browser tests), espeak-ng and sox (prompts), gcc (go test -race needs cgo), CA certificates
# and git (Go modules), promtool (Debian's prometheus package: the alert rules' check),
# and node and npm with Node's ari-client (the test that
# connects a client built from Asterisk's api-docs to ariemu). It checks that
# Go 1.26 or newer is on PATH, which Debian does not package, and says how to
# install it when not.
#
# deploy/dev/test and deploy/dev/demo run it first; running it again is cheap.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."

want_go_minor=26 # Go 1.26, as in go.mod

have() { command -v "$1" >/dev/null 2>&1; }

have_postgres() {
	if have initdb && have postgres; then
		return 0
	fi
	compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null &&
		compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null
}

go_help() {
	local arch
	arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
	case "$arch" in
	amd64 | arm64) ;;
	armhf) arch=armv6l ;;
	i386) arch=386 ;;
	esac
	cat >&2 <<-MSG
		deps: Hotline needs Go 1.${want_go_minor} or newer on PATH; $1.
		Debian has no package for it. Install it from go.dev, then run this again:

		  sudo apt-get install -y curl ca-certificates
		  sudo rm -rf /usr/local/go
		  curl -fsSL https://go.dev/dl/go1.${want_go_minor}.0.linux-${arch}.tar.gz | sudo tar -C /usr/local -xz
		  echo 'export PATH=/usr/local/go/bin:\$PATH' >> ~/.profile
		  export PATH=/usr/local/go/bin:\$PATH

		(https://go.dev/dl/ lists newer 1.${want_go_minor}.x releases; any will do.)
	MSG
	exit 1
}

check_go() {
	have go || go_help "none was found"
	local v minor
	# Inside the module, a Go 1.21+ that is too old switches itself to the
	# go.mod toolchain (GOTOOLCHAIN=auto), so this reports what builds run.
	v=$(go env GOVERSION 2>/dev/null) || go_help "\"go env GOVERSION\" failed"
	v=${v#go}          # 1.26.8, 1.26rc1
	[[ $v == 1.* ]] || go_help "found go$v"
	minor=${v#1.}
	minor=${minor%%[!0-9]*}
	((minor >= want_go_minor)) || go_help "found go$v"
}

install_missing() {
	local missing=()
	have_postgres || missing+=(postgresql)
	have chromium || missing+=(chromium)
	have chromedriver || missing+=(chromium-driver)
	# A Chinese font, so that the browser tests' screenshots of the
	# console's Chinese pages show text rather than empty boxes.
	{ have fc-list && fc-list :lang=zh family | grep -q .; } || missing+=(fonts-wqy-microhei)
	have espeak-ng || missing+=(espeak-ng)
	have sox || missing+=(sox)
	have gcc || missing+=(gcc libc6-dev)
	[[ -s /etc/ssl/certs/ca-certificates.crt ]] || missing+=(ca-certificates)
	have git || missing+=(git)
	have node || missing+=(nodejs)
	have npm || missing+=(npm)
	# deploy/'s checks: systemd-analyze verify (the unit), kamailio -c (its
	# configuration) and package deploy's TestKamailioRuns, which runs it;
	# kamailio is in /usr/sbin, off a user's PATH.
	have systemd-analyze || missing+=(systemd)
	{ have kamailio || [[ -x /usr/sbin/kamailio ]]; } || missing+=(kamailio)
	have promtool || missing+=(prometheus) # promtool checks deploy/prometheus's alert rules
	((${#missing[@]})) || return 0

	if ! have apt-get; then
		echo "deps: missing ${missing[*]}, and there is no apt-get here: install them by hand" >&2
		exit 1
	fi
	local sudo=()
	if ((EUID != 0)); then
		if ! have sudo; then
			echo "deps: missing ${missing[*]}; run this as root, or install sudo, to install them" >&2
			exit 1
		fi
		sudo=(sudo)
	fi
	echo "deps: installing ${missing[*]}" >&2
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# install_node_packages installs the npm packages a test uses, as pinned by
# its package-lock.json, when they are not there yet.
install_node_packages() {
	local dir=cmd/ariemu/testdata/ari-client
	[[ -d $dir/node_modules/ari-client ]] && return 0
	echo "deps: installing Node's ari-client for the ariemu client test" >&2
	npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
}

check_go
install_missing
install_node_packages
