#!/usr/bin/env bash
# Refreshes the Swagger UI files embedded at /api/docs from npm.
#
# The version is the one pinned in package.json / package-lock.json here; to
# move it, edit package.json and run `npm install --package-lock-only
# --ignore-scripts` first. The script downloads that exact tarball with npm,
# refuses it unless its sha512 equals the lockfile's integrity, copies the few
# dist files the handler embeds, and records their sha256 in SHA256SUMS, which
# a Go test (shared/apidoc) checks against the embedded files and the lockfile.
# No package scripts run.
set -euo pipefail
cd "$(dirname "$0")"

pkg=swagger-ui-dist
files=(swagger-ui-bundle.js swagger-ui.css LICENSE NOTICE)

read -r version integrity < <(node -e '
  const l = require("./package-lock.json").packages["node_modules/'"$pkg"'"];
  if (!l) { console.error("'"$pkg"' is not in package-lock.json"); process.exit(1); }
  console.log(l.version, l.integrity);')

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tarball=$(npm pack --silent --ignore-scripts --pack-destination "$tmp" "$pkg@$version" | tail -n1)
got="sha512-$(openssl dgst -sha512 -binary "$tmp/$tarball" | base64 -w0)"
if [[ "$got" != "$integrity" ]]; then
  echo "update.sh: $pkg@$version tarball integrity $got does not match package-lock.json $integrity" >&2
  exit 1
fi
tar -xzf "$tmp/$tarball" -C "$tmp"

mkdir -p dist
rm -f dist/*
for f in "${files[@]}"; do
  cp "$tmp/package/$f" "dist/$f"
done

{
  echo "# $pkg $version $integrity"
  echo "# Written by update.sh from the npm tarball above; checked by shared/apidoc tests."
  (cd dist && sha256sum "${files[@]}")
} > SHA256SUMS
echo "update.sh: embedded $pkg@$version (${files[*]})"
