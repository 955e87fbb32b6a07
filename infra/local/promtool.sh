#!/usr/bin/env bash
# Prometheus rule checks (make test runs this through shared/observability):
#   promtool check rules  infra/observability/rules/*.yml   (not *_test.yml)
#   promtool test rules   infra/observability/rules/*_test.yml
#
# promtool is built once into a cache outside the checkout:
#   $CACHE/promtool-<PROMETHEUS_VERSION>-<go>/bin/promtool
# where CACHE=${MEDIASPECS_CACHE:-/opt/mediaspecs-cache}: `go build ./cmd/promtool`
# inside a copy of github.com/prometheus/prometheus@<PROMETHEUS_VERSION> from
# the Go module proxy, with GOWORK=off so this repository's go.mod is never
# touched (about 7 minutes cold on 2 cores, under nice). It is built in a
# scratch folder, gets its marker (.complete) last and is then renamed into
# place, so an interrupted build is simply redone.
#
# Usage: infra/local/promtool.sh [--build-only | --path]
#   --build-only  build promtool if missing, run nothing
#   --path        build if missing, print the binary's path
# Exit status: 0 when the rules pass; 1 when a check or test fails; 2 when
# promtool cannot be built.
set -euo pipefail
export GOTOOLCHAIN=go1.27.3

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
versions="$here/versions.env"
rules_dir="$root/infra/observability/rules"

mode=run
case "${1:-}" in
"") ;;
--build-only) mode=build ;;
--path) mode=path ;;
*)
	echo "usage: $0 [--build-only | --path]" >&2
	exit 2
	;;
esac

log() { echo "promtool.sh: $*" >&2; }

# shellcheck source=toolcache.sh
source "$here/toolcache.sh"
PROMETHEUS_VERSION="$(version_of PROMETHEUS_VERSION)"

cache="${MEDIASPECS_CACHE:-/opt/mediaspecs-cache}"
mkdir -p "$cache"
tool_dir="$cache/promtool-$PROMETHEUS_VERSION-$GOTOOLCHAIN"
promtool="$tool_dir/bin/promtool"

build() {
	[[ -f "$tool_dir/.complete" && -x "$promtool" ]] && return 0
	# One builder at a time (parallel tests, two shells).
	if command -v flock >/dev/null 2>&1; then
		exec 9>"$cache/.promtool.lock"
		flock 9
		# Holding the lock, any scratch folder left is from a killed run.
		rm -rf "$cache"/.tmp-promtool.* "$cache"/.tmp-promtool-*
		[[ -f "$tool_dir/.complete" && -x "$promtool" ]] && return 0
	fi
	log "building promtool $PROMETHEUS_VERSION with $GOTOOLCHAIN (about 7 minutes cold)"
	local info src start=$SECONDS
	if ! info="$(cd "$cache" && GOWORK=off GOFLAGS=-buildvcs=false go mod download -json "github.com/prometheus/prometheus@$PROMETHEUS_VERSION")"; then
		printf '%s\n' "$info" >&2
		log "could not download github.com/prometheus/prometheus@$PROMETHEUS_VERSION"
		exit 2
	fi
	src="$(printf '%s\n' "$info" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
	if [[ -z "$src" || ! -f "$src/go.mod" ]]; then
		log "no module folder for github.com/prometheus/prometheus@$PROMETHEUS_VERSION"
		exit 2
	fi
	newtmp promtool
	# The module cache is read-only; build in a writable copy.
	cp -R "$src" "$tmp/src"
	chmod -R u+w "$tmp/src"
	if ! (cd "$tmp/src" && GOWORK=off GOFLAGS=-buildvcs=false nice -n 10 go build -trimpath \
		-o "$tmp/out/bin/promtool" ./cmd/promtool); then
		log "building promtool failed"
		exit 2
	fi
	"$tmp/out/bin/promtool" --version >/dev/null
	: >"$tmp/out/.complete"
	rm -rf "$tool_dir"
	mv "$tmp/out" "$tool_dir"
	rm -rf "$tmp"
	tmp=
	log "promtool built in $((SECONDS - start))s"
}

build
case "$mode" in
build) exit 0 ;;
path)
	printf '%s\n' "$promtool"
	exit 0
	;;
esac

shopt -s nullglob
rules=()
tests=()
for f in "$rules_dir"/*.yml; do
	case "$f" in
	*_test.yml) tests+=("$f") ;;
	*) rules+=("$f") ;;
	esac
done
if ((${#rules[@]} == 0)); then
	log "no rule files in $rules_dir"
	exit 1
fi
status=0
"$promtool" check rules "${rules[@]}" || status=1
if ((${#tests[@]} > 0)); then
	# Test files name their rule files relative to themselves.
	(cd "$rules_dir" && "$promtool" test rules "${tests[@]##*/}") || status=1
else
	log "no rule unit tests (*_test.yml) in $rules_dir"
	status=1
fi
exit "$status"
