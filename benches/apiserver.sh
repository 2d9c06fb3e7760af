#!/usr/bin/env bash
# Latency a Pod CREATE pays through a real kube-apiserver 1.35 (issue 17; docs/benchmarks.md):
#
#   (a) no admission webhook or policy: the floor (authn, RBAC, built-in admission, etcd write);
#   (b) sovereign's validating webhook, registered from the chart (url mode, matchConditions
#       and all), `sovereign serve` in cluster mode (release build, audit off) on loopback TLS;
#   (c) a ValidatingAdmissionPolicy checking only the namespace's data-class label and the
#       pod's region nodeSelector (a small subset of what sovereign checks), in-process CEL.
#
#   benches/apiserver.sh            N=300 measured pods per configuration (after 30 warm-up)
#   N=1000 WARMUP=50 benches/apiserver.sh
#
# One client connection (keep-alive HTTPS with the admin's client certificate), one request
# at a time, every pod compliant (pinned to ap-southeast-3 in a namespace labelled
# citizen-pii), so all three configurations do the same work besides admission. Before each
# phase it waits until the configuration is in force (a pod without a region is denied by
# it, or, in (a), admitted). Prints p50/p90/p99 of each, and what (b) and (c) add over (a).
# Needs ../shared/k8s (the 1.35 binary) beside the repository; everything runs on 127.0.0.1,
# and the script stops what it started (by pid, and the control plane by its folder).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${N:=300}" "${WARMUP:=30}"

log() { printf '== %s\n' "$*" >&2; }
e2e=tests/e2e
if ! "$e2e/control-plane.sh" versions | grep -qx 1.35; then
  echo "apiserver.sh: needs the 1.35 kube-apiserver in ../shared/k8s beside the repository" >&2
  exit 1
fi
"$e2e/control-plane.sh" install >&2
HELM=$("$e2e/install-helm.sh" | tail -n 1)

log "building sovereign (release)"
cargo build --release --quiet --bin sovereign
bin="${CARGO_TARGET_DIR:-target}/release/sovereign"

work=$(mktemp -d /tmp/sovereign-apiserver-bench.XXXXXX)
server_pid=
cleanup() {
  [ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true
  [ -z "$server_pid" ] || wait "$server_pid" 2>/dev/null || true
  "$e2e/control-plane.sh" stop "$work/cp" || true
}
trap cleanup EXIT

unset KUBECONFIG
eval "$("$e2e/control-plane.sh" start "$work/cp" 1.35 | tail -n 1)"
export KUBECONFIG
version=$(kubectl get --raw /version | python3 -c 'import json,sys; print(json.load(sys.stdin)["gitVersion"])')

kubectl apply -f crds/ >/dev/null
kubectl wait --for=condition=Established --timeout=60s crd/sovereigntypolicies.sovereignty.io crd/sovereigntyexceptions.sovereignty.io >/dev/null
kubectl apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Namespace
metadata: { name: bench, labels: { sovereignty.io/data-class: citizen-pii } }
---
apiVersion: sovereignty.io/v1alpha1
kind: SovereigntyPolicy
metadata: { name: indonesia-pdp }
spec:
  providers: [aws, gcp]
  jurisdictions: [{ name: ID, countries: [ID] }]
  dataClasses: [{ name: citizen-pii, allowedJurisdictions: [ID] }]
EOF

# (b): sovereign on loopback TLS, certificates for 127.0.0.1 from a throwaway CA.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/ca.key" -out "$work/ca.crt" -days 2 \
  -subj /CN=bench-ca 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$work/tls.key" -out "$work/tls.csr" -subj /CN=127.0.0.1 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >"$work/san.ext"
openssl x509 -req -in "$work/tls.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -CAcreateserial \
  -days 2 -extfile "$work/san.ext" -out "$work/tls.crt" 2>/dev/null
read -r port metrics_port < <(python3 -c '
import socket
ss = [socket.socket() for _ in range(2)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')
RUST_LOG=warn "$bin" serve --listen "127.0.0.1:$port" --metrics-listen "127.0.0.1:$metrics_port" \
  --tls-cert "$work/tls.crt" --tls-key "$work/tls.key" --no-audit 2>"$work/sovereign.log" &
server_pid=$!
for _ in $(seq 100); do
  curl -sf --cacert "$work/ca.crt" "https://127.0.0.1:$port/readyz" >/dev/null && break
  sleep 0.2
done
curl -sf --cacert "$work/ca.crt" "https://127.0.0.1:$port/readyz" >/dev/null || {
  cat "$work/sovereign.log" >&2
  exit 1
}
"$HELM" template bench charts/sovereign --namespace sovereign-system --kube-version "$version" \
  --set "webhook.url=https://127.0.0.1:$port" --set "webhook.caBundle=$(base64 -w0 <"$work/ca.crt")" \
  --show-only templates/validatingwebhookconfiguration.yaml >"$work/webhook.yaml"

# (c): the namespace's data-class label and the pod's region nodeSelector, nothing else.
cat >"$work/vap.yaml" <<'EOF'
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: { name: bench-region }
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules: [{ apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods] }]
  validations:
    - expression: >-
        !(has(namespaceObject.metadata.labels) && 'sovereignty.io/data-class' in namespaceObject.metadata.labels)
        || (has(object.spec.nodeSelector) && 'topology.kubernetes.io/region' in object.spec.nodeSelector
            && object.spec.nodeSelector['topology.kubernetes.io/region'] in ['ap-southeast-3', 'asia-southeast2'])
      message: classified pods must be pinned to an Indonesian region
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: { name: bench-region }
spec:
  policyName: bench-region
  validationActions: [Deny]
EOF

# Waits until a pod without a region is denied ($1 = deny) or admitted ($1 = admit).
in_force() {
  local want=$1 i
  for i in $(seq 150); do
    if kubectl run "probe-$i" -n bench --image=busybox --restart=Never --dry-run=server >/dev/null 2>&1; then
      [ "$want" = admit ] && return 0
    else
      [ "$want" = deny ] && return 0
    fi
    sleep 0.2
  done
  echo "apiserver.sh: the configuration did not come into force ($want)" >&2
  exit 1
}

cat >"$work/client.py" <<'PY'
# Creates WARMUP + N pods named PHASE-i in namespace bench, one at a time over one keep-alive
# connection, and prints the N measured latencies (ms) as JSON.
import base64, http.client, json, re, ssl, sys, tempfile, time, os

kubeconfig, phase, n, warmup = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
text = open(kubeconfig).read()
field = lambda name: re.search(rf"{name}: (\S+)", text).group(1)
server = field("server")
tmp = tempfile.mkdtemp()
def write(name, data):
    path = os.path.join(tmp, name)
    open(path, "wb").write(base64.b64decode(data))
    return path
ca = write("ca.crt", field("certificate-authority-data"))
cert = write("admin.crt", field("client-certificate-data"))
key = write("admin.key", field("client-key-data"))
context = ssl.create_default_context(cafile=ca)
context.load_cert_chain(cert, key)
host, port = server.removeprefix("https://").split(":")
conn = http.client.HTTPSConnection(host, int(port), context=context)
latencies = []
for i in range(warmup + n):
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": f"{phase}-{i}", "namespace": "bench"},
           "spec": {"nodeSelector": {"topology.kubernetes.io/region": "ap-southeast-3"},
                    "containers": [{"name": "c", "image": "busybox"}]}}
    body = json.dumps(pod)
    start = time.perf_counter()
    conn.request("POST", "/api/v1/namespaces/bench/pods", body, {"Content-Type": "application/json"})
    response = conn.getresponse()
    reply = response.read()
    elapsed = (time.perf_counter() - start) * 1000
    if response.status != 201:
        sys.exit(f"{phase}-{i}: HTTP {response.status}: {reply[:300]!r}")
    if i >= warmup:
        latencies.append(elapsed)
print(json.dumps(latencies))
PY

run_phase() {
  log "($1) $N pods after $WARMUP warm-up"
  python3 "$work/client.py" "$KUBECONFIG" "$1" "$N" "$WARMUP" >"$work/$1.json"
  kubectl delete pods --all -n bench --grace-period=0 --force >/dev/null 2>&1
}

in_force admit
run_phase a
kubectl apply -f "$work/webhook.yaml" >/dev/null
in_force deny
run_phase b
kubectl delete -f "$work/webhook.yaml" >/dev/null
kubectl apply -f "$work/vap.yaml" >/dev/null
in_force deny
run_phase c
kubectl delete -f "$work/vap.yaml" >/dev/null

python3 - "$work" "$N" "$version" <<'PY'
import json, sys
work, n, version = sys.argv[1], sys.argv[2], sys.argv[3]
def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]
runs = {k: json.load(open(f"{work}/{k}.json")) for k in "abc"}
names = {"a": "(a) no webhook", "b": "(b) sovereign webhook", "c": "(c) ValidatingAdmissionPolicy"}
print(f"kube-apiserver {version}, {n} Pod CREATEs per configuration, one at a time over one connection")
print()
print("| configuration | p50 ms | p90 ms | p99 ms | added p50 ms | added p99 ms |")
print("|---|---:|---:|---:|---:|---:|")
base = {p: pct(runs["a"], p) for p in (50, 99)}
for k in "abc":
    r = runs[k]
    added = "" if k == "a" else f"{pct(r, 50) - base[50]:+.2f} | {pct(r, 99) - base[99]:+.2f}"
    print(f"| {names[k]} | {pct(r, 50):.2f} | {pct(r, 90):.2f} | {pct(r, 99):.2f} | {added or '- | -'} |")
PY
