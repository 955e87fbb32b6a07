#!/usr/bin/env bash
# Static checks of the Azure infrastructure code and the GitHub workflows
# (`make infra-check`, CI):
#   1. tofu fmt -check -recursive        formatting of infra/
#   2. tofu init + tofu validate         schema validation against the real azurerm provider
#      tofu console -var-file            each infra/env/*.tfvars against variables.tf
#   3. tflint                            built-in (bundled terraform) rules, infra/.tflint.hcl
#   4. checkov                           terraform + github_actions; zero failed checks
#                                        (skips are justified one by one in the code)
#   5. actionlint                        .github/workflows/*.yml
#
# Each tool is built or installed once into a cache outside the checkout,
# CACHE=${MEDIASPECS_CACHE:-/opt/mediaspecs-cache}, in a folder named by tool
# and version:
#   $CACHE/tofu-<OPENTOFU_VERSION>-<go>/bin/tofu
#       OpenTofu, `go build ./cmd/tofu` inside its module from the Go module proxy
#       (`go install` refuses it: its go.mod has replace directives). Built with
#       -tags http2legacy: under Go 1.27, golang.org/x/net's default http2 no
#       longer has what OpenTofu's pinned gRPC uses.
#   $CACHE/terraform-provider-azurerm-<AZURERM_PROVIDER_VERSION>-<module version>-<go>/mirror/
#       the provider, `go build .` inside github.com/hashicorp/terraform-provider-azurerm@
#       <AZURERM_PROVIDER_MODULE_VERSION>, laid out as an unpacked filesystem mirror
#   $CACHE/tflint-<TFLINT_VERSION>-<go>/bin/tflint          go install
#   $CACHE/actionlint-<ACTIONLINT_VERSION>-<go>/bin/actionlint   go install
#   $CACHE/checkov-<CHECKOV_VERSION>-py<X.Y>/venv             pip, in a virtualenv
# Versions come from versions.env beside this script. Each is built in a
# scratch folder inside the cache, gets its marker file (.complete) last and is
# then renamed into place, so an interrupted build is simply redone. Cold
# builds take long (provider ~15 min, OpenTofu ~5 min on 2 cores); they run
# under `nice`.
#
# Usage: infra/local/infra-check.sh [--build-only]
# Exit status: 0 when every check passes; 1 when a check fails (all checks run
# and a summary names the failed ones); 2 when a tool cannot be built.
set -euo pipefail
export GOTOOLCHAIN=go1.27.3

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
versions="$here/versions.env"

build_only=false
case "${1:-}" in
"") ;;
--build-only) build_only=true ;;
*)
	echo "usage: $0 [--build-only]" >&2
	exit 2
	;;
esac

log() { echo "infra-check: $*" >&2; }

cache="${MEDIASPECS_CACHE:-/opt/mediaspecs-cache}"
# shellcheck source=toolcache.sh
source "$here/toolcache.sh"
OPENTOFU_VERSION="$(version_of OPENTOFU_VERSION)"
AZURERM_PROVIDER_MODULE_VERSION="$(version_of AZURERM_PROVIDER_MODULE_VERSION)"
AZURERM_PROVIDER_VERSION="$(version_of AZURERM_PROVIDER_VERSION)"
TFLINT_VERSION="$(version_of TFLINT_VERSION)"
ACTIONLINT_VERSION="$(version_of ACTIONLINT_VERSION)"
CHECKOV_VERSION="$(version_of CHECKOV_VERSION)"
mkdir -p "$cache"

tofu_dir="$cache/tofu-$OPENTOFU_VERSION-$GOTOOLCHAIN"
provider_dir="$cache/terraform-provider-azurerm-$AZURERM_PROVIDER_VERSION-$AZURERM_PROVIDER_MODULE_VERSION-$GOTOOLCHAIN"
tflint_dir="$cache/tflint-$TFLINT_VERSION-$GOTOOLCHAIN"
actionlint_dir="$cache/actionlint-$ACTIONLINT_VERSION-$GOTOOLCHAIN"
python="$(command -v python3 || true)"
if [[ -z "$python" ]]; then
	log "python3 is needed for checkov"
	exit 2
fi
pyver="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
checkov_dir="$cache/checkov-$CHECKOV_VERSION-py$pyver"


# One builder at a time (parallel make targets, two shells).
if command -v flock >/dev/null 2>&1; then
	exec 9>"$cache/.infra-check.lock"
	flock 9
	# Holding the lock, any scratch folder left is from a killed run.
	rm -rf "$cache"/.tmp-infra-*
fi

# Fetch pinned modules by path@version outside any module or workspace, so the
# project's go.mod and go.sum are never touched.
go_outside() { (cd "$cache" && GOWORK=off GOFLAGS=-buildvcs=false go "$@"); }

# module_dir PATH@VERSION: download a module and print its folder in the module cache.
module_dir() {
	local info dir
	if ! info="$(go_outside mod download -json "$1")"; then
		printf '%s\n' "$info" >&2
		log "could not download $1"
		exit 2
	fi
	dir="$(printf '%s\n' "$info" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
	if [[ -z "$dir" || ! -f "$dir/go.mod" ]]; then
		log "no module folder for $1"
		exit 2
	fi
	printf '%s\n' "$dir"
}

# finish TMP FINAL: mark TMP complete, then move it into place.
finish() {
	: >"$1/.complete"
	rm -rf "$2"
	mv "$1" "$2"
}

build_tofu() {
	[[ -f "$tofu_dir/.complete" ]] && return 0
	log "building OpenTofu $OPENTOFU_VERSION with $GOTOOLCHAIN (about 5 minutes cold)"
	local src start=$SECONDS
	src="$(module_dir "github.com/opentofu/opentofu@$OPENTOFU_VERSION")"
	newtmp infra-tofu
	(cd "$src" && GOWORK=off GOFLAGS=-buildvcs=false nice -n 10 go build -trimpath -tags http2legacy \
		-ldflags "-X github.com/opentofu/opentofu/version.dev=no" \
		-o "$tmp/bin/tofu" ./cmd/tofu)
	env -u TF_CLI_CONFIG_FILE "$tmp/bin/tofu" version >/dev/null
	finish "$tmp" "$tofu_dir"
	log "OpenTofu built in $((SECONDS - start))s"
}

# The platform directory of the mirror, e.g. linux_amd64.
platform() { go_outside env GOOS GOARCH | paste -sd_ -; }

build_provider() {
	[[ -f "$provider_dir/.complete" ]] && return 0
	log "building terraform-provider-azurerm $AZURERM_PROVIDER_MODULE_VERSION with $GOTOOLCHAIN (about 15 minutes cold, ~300 MB)"
	local src start=$SECONDS dest
	src="$(module_dir "github.com/hashicorp/terraform-provider-azurerm@$AZURERM_PROVIDER_MODULE_VERSION")"
	newtmp infra-provider
	# Unpacked filesystem mirror layout: HOSTNAME/NAMESPACE/TYPE/VERSION/OS_ARCH/.
	# Both registry host names, so OpenTofu and Terraform CLI configs can use it.
	dest="$tmp/mirror/registry.opentofu.org/hashicorp/azurerm/$AZURERM_PROVIDER_VERSION/$(platform)"
	mkdir -p "$dest"
	(cd "$src" && GOWORK=off GOFLAGS=-buildvcs=false nice -n 10 go build -trimpath \
		-o "$dest/terraform-provider-azurerm_v$AZURERM_PROVIDER_VERSION" .)
	mkdir -p "$tmp/mirror/registry.terraform.io/hashicorp/azurerm"
	ln -s "../../../registry.opentofu.org/hashicorp/azurerm/$AZURERM_PROVIDER_VERSION" \
		"$tmp/mirror/registry.terraform.io/hashicorp/azurerm/$AZURERM_PROVIDER_VERSION"
	finish "$tmp" "$provider_dir"
	log "provider built in $((SECONDS - start))s"
}

# go_install_tool DIR PKG@VERSION NAME
go_install_tool() {
	local dir="$1" pkg="$2" name="$3" start=$SECONDS
	[[ -f "$dir/.complete" ]] && return 0
	log "installing $pkg with $GOTOOLCHAIN"
	newtmp "infra-$name"
	GOBIN="$tmp/bin" go_outside install "$pkg"
	"$tmp/bin/$name" --version >/dev/null
	finish "$tmp" "$dir"
	log "$name installed in $((SECONDS - start))s"
}

build_checkov() {
	[[ -f "$checkov_dir/.complete" ]] && return 0
	log "installing checkov $CHECKOV_VERSION (PyPI) into a virtualenv"
	local start=$SECONDS
	# The venv is created at its final path (scripts embed it); the scratch
	# folder only holds the marker until the install has finished.
	rm -rf "$checkov_dir"
	"$python" -m venv "$checkov_dir/venv"
	nice -n 10 "$checkov_dir/venv/bin/pip" install --disable-pip-version-check --quiet \
		"checkov==$CHECKOV_VERSION"
	"$checkov_dir/venv/bin/checkov" --version >/dev/null
	: >"$checkov_dir/.complete"
	log "checkov installed in $((SECONDS - start))s"
}

build_tofu
build_provider
go_install_tool "$tflint_dir" "github.com/terraform-linters/tflint@$TFLINT_VERSION" tflint
go_install_tool "$actionlint_dir" "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION" actionlint
build_checkov

# Release the lock before the checks.
if command -v flock >/dev/null 2>&1; then exec 9>&-; fi

if $build_only; then
	log "tools ready in $cache"
	exit 0
fi

tofu="$tofu_dir/bin/tofu"
tflint="$tflint_dir/bin/tflint"
actionlint="$actionlint_dir/bin/actionlint"
checkov="$checkov_dir/venv/bin/checkov"

failed=()
# run NAME CMD...: run one check, record a failure, never stop.
run() {
	local name="$1"
	shift
	echo "--- $name"
	if "$@"; then
		echo "ok: $name"
	else
		echo "FAILED: $name"
		failed+=("$name")
	fi
}

# Work on a copy of the Terraform root: init writes .terraform/ and a lock
# file with the hashes of the locally built provider, neither of which belongs
# in the checkout (the committed configuration is resolved from the registry
# at deploy time).
work="$(mktemp -d "${TMPDIR:-/tmp}/infra-check.XXXXXX")"
tmpdirs+=("$work")
cp "$root"/infra/*.tf "$work/"
# alerts-prometheus.tf reads the rule files (file(), fileset()).
cp -r "$root"/infra/observability "$work/"
cat >"$work/cli.tfrc" <<EOF
provider_installation {
  filesystem_mirror {
    path    = "$provider_dir/mirror"
    include = ["registry.opentofu.org/hashicorp/azurerm", "registry.terraform.io/hashicorp/azurerm"]
  }
}
EOF

tofu_validate() {
	(
		cd "$work"
		export TF_CLI_CONFIG_FILE="$work/cli.tfrc" TF_DATA_DIR="$work/.terraform" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
		"$tofu" init -backend=false -input=false -no-color >"$work/init.log" 2>&1 || {
			cat "$work/init.log"
			return 1
		}
		"$tofu" validate -no-color
	)
}

# Every tofu call reads this CLI configuration only (a TF_CLI_CONFIG_FILE
# from the environment, meant for another Terraform, is not inherited).
export TF_CLI_CONFIG_FILE="$work/cli.tfrc" CHECKPOINT_DISABLE=1

# Each env/*.tfvars against the variables (types, validation blocks,
# undeclared names): evaluated with `tofu console` in a second copy whose
# backend is overridden to local (the real one needs Azure credentials).
tfvars_check() {
	local vars="$work/vars" f out rc status=0
	mkdir -p "$vars"
	cp "$root"/infra/*.tf "$vars/"
	cp -r "$root"/infra/observability "$vars/"
	printf 'terraform {\n  backend "local" {}\n}\n' >"$vars/zz_check_backend_override.tf"
	(
		cd "$vars"
		export TF_DATA_DIR="$vars/.terraform"
		"$tofu" init -input=false -no-color >"$vars/init.log" 2>&1 || {
			cat "$vars/init.log"
			exit 1
		}
		for f in "$root"/infra/env/*.tfvars; do
			rc=0
			out="$(echo 'var.environment' | "$tofu" console -no-color -var-file="$f" \
				-var subscription_id=00000000-0000-0000-0000-000000000000 2>&1)" || rc=1
			if ((rc != 0)) || grep -qE '^(Error|Warning): ' <<<"$out"; then
				echo "${f#"$root"/}:"
				printf '%s\n' "$out"
				status=1
			else
				echo "${f#"$root"/}: ok (environment $out)"
			fi
		done
		exit "$status"
	)
}

run "tofu fmt -check -recursive infra" "$tofu" fmt -check -recursive -diff -no-color "$root/infra"
run "tofu validate (azurerm $AZURERM_PROVIDER_VERSION)" tofu_validate
run "tfvars (infra/env/*.tfvars)" tfvars_check
run "tflint" "$tflint" --chdir="$root/infra" --config="$root/infra/.tflint.hcl" --format=compact
# alerts-prometheus.tf is skipped: checkov's HCL parser (python-hcl2) stops
# at the rule block's attribute named `for` (azurerm's name for Prometheus'
# for) and would otherwise report a parsing error and scan nothing in it;
# tofu validate and tflint cover the file, and shared/infracheck evaluates it.
run "checkov" "$checkov" --quiet --compact --skip-download \
	--framework terraform github_actions \
	-d "$root/infra" -d "$root/.github" \
	--skip-path "infra/local" --skip-path "infra/alerts-prometheus.tf"
run "actionlint" "$actionlint" -no-color "$root"/.github/workflows/*.yml

echo "---"
if ((${#failed[@]} > 0)); then
	log "failed: ${failed[*]}"
	exit 1
fi
log "all checks passed (tofu $OPENTOFU_VERSION, azurerm $AZURERM_PROVIDER_VERSION, tflint $TFLINT_VERSION, checkov $CHECKOV_VERSION, actionlint $ACTIONLINT_VERSION)"
