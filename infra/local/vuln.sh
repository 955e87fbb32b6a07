#!/usr/bin/env bash
# Offline vulnerability scan of the Go module with govulncheck.
#
# Builds (once, into a cache outside the checkout):
#   $CACHE/bin/govulncheck-<GOVULNCHECK_VERSION>-<GOTOOLCHAIN>   the scanner, built with Go 1.27.3
#   $CACHE/vulndb-<VULNDB_VERSION>/                               a govulncheck v1 database, made by
#        golang.org/x/vulndb/cmd/indexdb from that module's data/osv folder
# where CACHE=${MEDIASPECS_CACHE:-/opt/mediaspecs-cache}. Versions come from
# versions.env beside this script. Each artefact is built in a temporary
# folder, gets its marker file last and is then renamed into place, so an
# interrupted build is simply redone on the next run.
#
# Then runs `govulncheck -db file://<db> ./...` in the repository root (extra
# arguments replace ./...). Exit status is govulncheck's: 0 clean, 3 when
# vulnerabilities are found, anything else an error.
set -euo pipefail
export GOTOOLCHAIN=go1.27.3

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
versions="$here/versions.env"
cache="${MEDIASPECS_CACHE:-/opt/mediaspecs-cache}"
log() { echo "vuln.sh: $*" >&2; }
# shellcheck source=toolcache.sh
source "$here/toolcache.sh"

VULNDB_VERSION="$(version_of VULNDB_VERSION)"
GOVULNCHECK_VERSION="$(version_of GOVULNCHECK_VERSION)"

bindir="$cache/bin"
govulncheck="$bindir/govulncheck-$GOVULNCHECK_VERSION-$GOTOOLCHAIN"
govulncheck_ok="$govulncheck.ok"
db="$cache/vulndb-$VULNDB_VERSION"
db_ok="$db/.complete"
mkdir -p "$cache" "$bindir"

# One builder at a time (parallel make targets, two shells).
if command -v flock >/dev/null 2>&1; then
	exec 9>"$cache/.vuln.lock"
	flock 9
	# Holding the lock, any scratch folder left is from a killed run.
	rm -rf "$cache"/.tmp-govulncheck.* "$cache"/.tmp-vulndb.*
fi

# The go commands below fetch pinned modules by path@version; run them outside
# any module or workspace so the project's go.mod and go.sum are never touched.
go_outside() { (cd "$cache" && GOWORK=off go "$@"); }

build_govulncheck() {
	[[ -x "$govulncheck" && -f "$govulncheck_ok" ]] && return 0
	log "building govulncheck $GOVULNCHECK_VERSION with $GOTOOLCHAIN"
	rm -f "$govulncheck_ok"
	newtmp govulncheck
	local t="$tmp"
	GOBIN="$t" go_outside install "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION"
	mv -f "$t/govulncheck" "$govulncheck"
	: >"$govulncheck_ok"
}

build_vulndb() {
	[[ -f "$db_ok" ]] && return 0
	log "building vulnerability database from golang.org/x/vulndb@$VULNDB_VERSION"
	newtmp vulndb
	local t="$tmp" src
	# Module source (for data/osv) and the indexdb command, at the same pin.
	local info
	if ! info="$(go_outside mod download -json "golang.org/x/vulndb@$VULNDB_VERSION")"; then
		printf '%s\n' "$info" >&2
		log "could not download golang.org/x/vulndb@$VULNDB_VERSION"
		exit 2
	fi
	src="$(printf '%s\n' "$info" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
	if [[ -z "$src" || ! -d "$src/data/osv" ]]; then
		log "no data/osv in golang.org/x/vulndb@$VULNDB_VERSION (module dir: '${src}')"
		exit 2
	fi
	GOBIN="$t/bin" go_outside install "golang.org/x/vulndb/cmd/indexdb@$VULNDB_VERSION"
	"$t/bin/indexdb" -vulns "$src/data/osv" -out "$t/db"
	[[ -f "$t/db/index/db.json" && -f "$t/db/index/modules.json" ]] || {
		log "indexdb wrote no index"
		exit 2
	}
	: >"$t/db/.complete"
	rm -rf "$db"
	mv "$t/db" "$db"
}

build_govulncheck
build_vulndb

# Release the lock before the (long) scan.
if command -v flock >/dev/null 2>&1; then exec 9>&-; fi

cd "$root"
if (($# == 0)); then set -- ./...; fi
log "govulncheck $GOVULNCHECK_VERSION, db file://$db"
status=0
"$govulncheck" -db "file://$db" "$@" || status=$?
if ((status == 3)); then
	log "vulnerabilities found (see above)"
fi
exit "$status"
