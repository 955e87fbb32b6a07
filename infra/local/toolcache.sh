# Helpers shared by the scripts that build tools into the cache (vuln.sh,
# infra-check.sh, promtool.sh). Source it after setting:
#   versions  the versions.env file
#   cache     the cache folder ($MEDIASPECS_CACHE or its default)
#   log()     the script's own logger
# shellcheck shell=bash

# version_of KEY: one KEY=value line from versions.env, without sourcing the
# whole file; a missing key stops the script (exit 2: the tool cannot be had).
version_of() {
	local v
	v="$(sed -n "s/^$1=//p" "$versions" | tail -n 1 | tr -d '[:space:]"'"'")"
	if [[ -z "$v" ]]; then
		log "$1 is not set in $versions"
		exit 2
	fi
	printf '%s\n' "$v"
}

# newtmp NAME: a scratch folder inside the cache (same file system, so the
# final mv into place is a rename); its path is left in $tmp. Every scratch
# folder is removed when the script exits, however it exits.
tmpdirs=()
tmp=
newtmp() {
	tmp="$(mktemp -d "$cache/.tmp-$1.XXXXXX")"
	tmpdirs+=("$tmp")
}
remove_scratch() { local d; for d in "${tmpdirs[@]+"${tmpdirs[@]}"}"; do rm -rf "$d"; done; }
trap remove_scratch EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
