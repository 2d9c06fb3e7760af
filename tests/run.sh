#!/usr/bin/env bash
# The project's test command: every test, including the end-to-end suites against a real
# kube-apiserver. Installs what it needs (cached under ${SOVEREIGN_CACHE:-~/.cache/sovereign}),
# runs `cargo test`, then the end-to-end suites once per API server version: the Debian-built
# 1.20.2 and, when ../shared/k8s is beside the repository, the current 1.35 as well (without it,
# 1.20.2 alone, and it says so). Each version gets a fresh loopback control plane, stopped after.
# When KUBECONFIG names a cluster that answers, the suites run once, against it.
set -euo pipefail
cd "$(dirname "$0")/.."

e2e=tests/e2e
"$e2e/control-plane.sh" install
HELM=$("$e2e/install-helm.sh" | tail -n 1)
export HELM

dirs=()
cleanup() {
  local dir
  for dir in "${dirs[@]}"; do
    "$e2e/control-plane.sh" stop "$dir" || true
  done
}
trap cleanup EXIT

echo "== unit, integration and CLI tests"
cargo test

suites() {
  cargo test --test e2e --test e2e_audit --test e2e_copies -- --ignored --test-threads=1
}

if [ -n "${KUBECONFIG:-}" ] && kubectl --request-timeout=5s get --raw /readyz >/dev/null 2>&1; then
  echo "== end-to-end tests against the cluster KUBECONFIG names ($KUBECONFIG)"
  suites
  exit 0
fi
unset KUBECONFIG

mapfile -t versions < <("$e2e/control-plane.sh" versions)
if [ "${#versions[@]}" -lt 2 ]; then
  echo "== note: no ../shared/k8s beside the repository: the end-to-end suites run on kube-apiserver 1.20.2 only"
fi
timings=()
for version in "${versions[@]}"; do
  echo "== end-to-end tests against a real kube-apiserver $version"
  started=$SECONDS
  dir=$(mktemp -d "/tmp/sovereign-e2e-$version.XXXXXX")
  dirs+=("$dir")
  (
    export_line=$("$e2e/control-plane.sh" start "$dir" "$version" | tail -n 1)
    eval "$export_line"
    export SOVEREIGN_E2E_DIR="$dir"
    suites
  )
  "$e2e/control-plane.sh" stop "$dir"
  timings+=("kube-apiserver $version: $((SECONDS - started)) s")
done
echo "== end-to-end suites passed on: ${versions[*]}"
printf '   %s\n' "${timings[@]}"
