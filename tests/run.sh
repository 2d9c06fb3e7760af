#!/usr/bin/env bash
# The project's test command: every test, including the end-to-end suite against a real
# kube-apiserver. Installs what it needs (cached under ${SOVEREIGN_CACHE:-~/.cache/sovereign}),
# starts a loopback control plane (or uses the cluster KUBECONFIG names, when it answers),
# runs `cargo test`, then the end-to-end tests, and stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."

e2e=tests/e2e
"$e2e/control-plane.sh" install
HELM=$("$e2e/install-helm.sh" | tail -n 1)
export HELM

dir=$(mktemp -d /tmp/sovereign-e2e.XXXXXX)
cleanup() { "$e2e/control-plane.sh" stop "$dir" || true; }
trap cleanup EXIT

echo "== unit, integration and CLI tests"
cargo test

echo "== end-to-end tests against a real kube-apiserver"
eval "$("$e2e/control-plane.sh" start "$dir" | tail -n 1)"
if [ -f "$dir/kubeconfig" ]; then
  export SOVEREIGN_E2E_DIR="$dir"
fi
cargo test --test e2e --test e2e_audit -- --ignored --test-threads=1
