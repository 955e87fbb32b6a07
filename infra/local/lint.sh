#!/usr/bin/env bash
# Lint the Go module: gofmt, go vet and staticcheck. staticcheck is pinned as a
# `tool` in go.mod (honnef.co/go/tools/cmd/staticcheck) and runs through
# `go tool`, so it is built with the same toolchain as the code it checks.
# Arguments replace the default package pattern ./... for vet and staticcheck.
# Every check runs; the script fails if any of them fails.
set -euo pipefail
export GOTOOLCHAIN=go1.27.3

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
if (($# == 0)); then set -- ./...; fi

failed=()

echo "== gofmt -l" >&2
# Tracked and new (not ignored) Go files, so vendored or generated folders
# that git ignores are left out; falls back to the whole tree outside git.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	mapfile -d '' files < <(git ls-files -z --cached --others --exclude-standard -- '*.go' |
		while IFS= read -r -d '' f; do [[ -f "$f" ]] && printf '%s\0' "$f"; done)
else
	mapfile -d '' files < <(find . -name '*.go' -not -path './.git/*' -not -path './vendor/*' -print0)
fi
unformatted=""
if ((${#files[@]} > 0)); then
	unformatted="$(gofmt -l "${files[@]}")" || failed+=(gofmt)
fi
if [[ -n "$unformatted" ]]; then
	echo "gofmt: these files need formatting (run gofmt -w):" >&2
	printf '%s\n' "$unformatted" >&2
	failed+=(gofmt)
fi

echo "== go vet $*" >&2
go vet "$@" || failed+=("go vet")

echo "== staticcheck $*" >&2
go tool staticcheck "$@" || failed+=(staticcheck)

if ((${#failed[@]} > 0)); then
	echo "lint.sh: failed: ${failed[*]}" >&2
	exit 1
fi
echo "lint.sh: ok" >&2
