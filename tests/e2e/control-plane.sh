#!/usr/bin/env bash
# A real Kubernetes control plane (etcd + kube-apiserver v1.20.2 or v1.35) on loopback, for the
# end-to-end tests. No Docker, no kubelet, no controller-manager: only the API server.
#
#   control-plane.sh install                 apt-get installs what is missing, builds kube-apiserver
#                                            1.20.2 once and unpacks the shared 1.35 (when present),
#                                            cached in ${SOVEREIGN_CACHE:-~/.cache/sovereign}/bin/
#   control-plane.sh versions                the versions `start` can run here, one a line
#   control-plane.sh start DIR [VERSION]     certificates, etcd and kube-apiserver VERSION (1.20, the
#                                            default, or 1.35) on free loopback ports, state and logs
#                                            in DIR; prints `export KUBECONFIG=DIR/kubeconfig` last
#   control-plane.sh stop DIR                stops what `start DIR` started (by DIR/*.pid), nothing else
#   control-plane.sh restart-apiserver DIR   restarts kube-apiserver only, same flags and port
#
# When KUBECONFIG names an API server that answers /readyz, `start` uses it: it writes nothing to
# DIR and prints `export KUBECONFIG=$KUBECONFIG`; `stop DIR` then finds no PID files and does
# nothing. Progress and errors go to stderr; stdout carries only the export line.
#
# Where things come from (all from Debian's archive, nothing else is downloaded):
#   etcd            package etcd-server (3.4)
#   kube-apiserver  built from Debian's source package `kubernetes` (1.20.2, full tree with vendor/)
#                   with Debian's golang-go (1.19), in GOPATH mode, after `make gen_openapi`, with the
#                   vendored github.com/modern-go/reflect2 1.0.1 (crashes under Go >= 1.18) replaced by
#                   Debian's golang-github-modern-go-reflect2-dev (1.0.2). The source is fetched with a
#                   private apt configuration (a deb-src twin of the machine's Debian sources) in a
#                   scratch folder: the machine's own apt configuration is not changed.
#   kube-apiserver  1.35: the prebuilt binary in ../shared/k8s beside the repository
#                   (kube-apiserver-v1.35.0-alpha.0.xz), checked against its sha256 and unpacked
#                   into the cache; without that folder only 1.20 is available
#   kubectl         the one on PATH (or $KUBECTL); Debian's kubernetes-client when there is none
#
# Environment: SOVEREIGN_CACHE (cache folder), KUBECTL (kubectl to use), START_TIMEOUT (seconds to
# wait for readiness, default 60).
set -euo pipefail

cache=${SOVEREIGN_CACHE:-$HOME/.cache/sovereign}
apiserver_bin="$cache/bin/kube-apiserver"
repo=$(cd "$(dirname "$0")/../.." && pwd -P)
# The current API server: shared beside the repository (CI clones into a folder with shared/ next to it).
shared_k8s="$repo/../shared/k8s"
current_xz="$shared_k8s/kube-apiserver-v1.35.0-alpha.0.xz"
current_sha256=70b4a8894cf172a5dcec4f7074824a48c43961f5b0158f3fdaac8f53f82a3b3b
current_bin="$cache/bin/kube-apiserver-1.35"
kubectl=${KUBECTL:-kubectl}
start_timeout=${START_TIMEOUT:-60}

# The version of Debian's source package `kubernetes` that is known to build here.
K8S_UPSTREAM=1.20.2
REFLECT2_SRC=/usr/share/gocode/src/github.com/modern-go/reflect2

log() { echo "control-plane: $*" >&2; }
die() {
  echo "control-plane: error: $*" >&2
  exit 1
}

usage() {
  sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# ---------------------------------------------------------------------------------------------
# install

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo "$@"
  else
    die "need root (or sudo) to run: $*"
  fi
}

apt_updated=
apt_install() {
  [ "$#" -gt 0 ] || return 0
  if [ -z "$apt_updated" ]; then
    log "apt-get update"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600 update >&2 ||
      die "apt-get update failed"
    apt_updated=1
  fi
  log "apt-get install $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=600 \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    install --no-install-recommends "$@" >&2 || die "apt-get install $* failed"
}

installed() {
  dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

apiserver_works() {
  [ -x "$apiserver_bin" ] && "$apiserver_bin" --version >/dev/null 2>&1
}

cmd_install() {
  command -v apt-get >/dev/null || die "this script needs a Debian (apt-get) machine"
  local missing=() p
  for p in etcd-server golang-go rsync dpkg-dev make openssl xz-utils golang-github-modern-go-reflect2-dev; do
    installed "$p" || missing+=("$p")
  done
  if ! command -v "$kubectl" >/dev/null; then
    missing+=(kubernetes-client)
  fi
  command -v python3 >/dev/null || missing+=(python3)
  command -v flock >/dev/null || missing+=(util-linux)
  apt_install "${missing[@]}"

  command -v etcd >/dev/null || die "etcd is not on PATH after installing etcd-server"
  command -v "$kubectl" >/dev/null || die "no kubectl on PATH after installing kubernetes-client"
  log "etcd: $(etcd --version 2>/dev/null | head -n 1)"

  mkdir -p "$cache/bin"
  # One build at a time: a second install waits for the first and then finds the binary cached.
  exec 9>"$cache/.kube-apiserver.lock"
  flock 9
  if apiserver_works; then
    log "using cached $("$apiserver_bin" --version) at $apiserver_bin"
  else
    build_apiserver
    log "installed $("$apiserver_bin" --version) at $apiserver_bin"
  fi
  exec 9>&-
  if [ -f "$current_xz" ]; then
    install_current
    log "installed $("$current_bin" --version) at $current_bin"
  else
    log "no $current_xz: the suites can run on 1.20 only"
  fi
}

# The shared 1.35 binary, unpacked into the cache once (and again if the cached copy differs).
install_current() {
  [ -f "$current_xz" ] || die "no $current_xz; only 1.20 is available here"
  mkdir -p "$cache/bin"
  exec 8>"$cache/.kube-apiserver-1.35.lock"
  flock 8
  if [ -x "$current_bin" ] && echo "$current_sha256  $current_bin" | sha256sum -c --status; then
    return 0
  fi
  log "unpacking $current_xz into $current_bin"
  xz -dc "$current_xz" >"$current_bin.tmp.$$" || die "cannot unpack $current_xz"
  echo "$current_sha256  $current_bin.tmp.$$" | sha256sum -c --status ||
    die "$current_xz does not unpack to the binary of sha256 $current_sha256"
  chmod 0755 "$current_bin.tmp.$$"
  mv -f "$current_bin.tmp.$$" "$current_bin"
  exec 8>&-
}

cmd_versions() {
  echo 1.20
  [ ! -f "$current_xz" ] || echo 1.35
}

# The machine's Debian sources with Types: deb-src, in deb822 form, written to $1.
write_deb_src() {
  local out=$1
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    sed -E 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources >"$out/debian-src.sources"
  elif [ -f /etc/apt/sources.list ] && grep -Eq '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list; then
    sed -nE 's/^[[:space:]]*deb[[:space:]]/deb-src /p' /etc/apt/sources.list >"$out/debian-src.list"
  else
    die "found no Debian apt sources (/etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list)"
  fi
}

build_apiserver() {
  local build="$cache/build"
  log "building kube-apiserver $K8S_UPSTREAM from Debian's source package (a few minutes; work in $build)"
  rm -rf "$build"
  mkdir -p "$build/apt/parts" "$build/apt/lists/partial" "$build/apt/cache/archives/partial" "$build/src"
  write_deb_src "$build/apt/parts"

  # A private apt state: the deb-src lists live in $build only.
  local apt_opts=(
    -o "Dir::Etc::SourceList=/dev/null"
    -o "Dir::Etc::SourceParts=$build/apt/parts"
    -o "Dir::State::Lists=$build/apt/lists"
    -o "Dir::Cache=$build/apt/cache"
    -o "Dir::Cache::pkgcache="
    -o "Dir::Cache::srcpkgcache="
    -o "APT::Sandbox::User=root"
  )
  log "fetching the source package kubernetes (deb-src of the machine's Debian sources)"
  apt-get -q "${apt_opts[@]}" update >"$build/apt-update.log" 2>&1 || {
    cat "$build/apt-update.log" >&2
    die "apt-get update of the deb-src lists failed"
  }
  (cd "$build/src" && apt-get -q "${apt_opts[@]}" source --download-only kubernetes) >"$build/apt-source.log" 2>&1 || {
    cat "$build/apt-source.log" >&2
    die "apt-get source kubernetes failed"
  }
  local dsc
  dsc=$(find "$build/src" -maxdepth 1 -name 'kubernetes_*.dsc' | head -n 1)
  [ -n "$dsc" ] || die "apt-get source kubernetes fetched no .dsc"
  case "$(basename "$dsc")" in
    *"$K8S_UPSTREAM"*) ;;
    *) log "warning: expected kubernetes $K8S_UPSTREAM, got $(basename "$dsc"); trying anyway" ;;
  esac

  # GOPATH mode: the tree must be $GOPATH/src/k8s.io/kubernetes.
  local gopath="$build/gopath"
  local tree="$gopath/src/k8s.io/kubernetes"
  mkdir -p "$gopath/src/k8s.io"
  log "unpacking $(basename "$dsc")"
  dpkg-source --no-check -x "$dsc" "$tree" >"$build/dpkg-source.log" 2>&1 || {
    cat "$build/dpkg-source.log" >&2
    die "dpkg-source -x failed"
  }
  [ -d "$tree/vendor" ] || die "the source package has no vendor/ tree; cannot build offline"

  # reflect2 1.0.1 (vendored) crashes under Go >= 1.18 on the first custom object; use 1.0.2.
  [ -f "$REFLECT2_SRC/reflect2.go" ] || die "$REFLECT2_SRC missing (package golang-github-modern-go-reflect2-dev)"
  local vr="$tree/vendor/github.com/modern-go/reflect2"
  rm -rf "$vr"
  mkdir -p "$vr"
  cp -a "$REFLECT2_SRC/." "$vr/"
  find "$vr" -name '*_test.go' -delete

  local goroot=/usr/lib/go
  [ -x "$goroot/bin/go" ] || die "$goroot/bin/go missing (package golang-go)"
  log "using $("$goroot/bin/go" version)"
  (
    cd "$tree"
    export PATH="$goroot/bin:$PATH"
    export GOROOT="$goroot"
    export GOPATH="$gopath"
    export GO111MODULE=off
    export GOFLAGS=
    export GOPROXY=off
    export GOCACHE="$build/gocache"
    export CGO_ENABLED=0
    export HOME="$build/home"
    mkdir -p "$HOME"
    unset KUBE_GIT_VERSION KUBE_GIT_COMMIT KUBE_GIT_TREE_STATE KUBE_BUILD_PLATFORMS
    local t=$SECONDS
    log "make gen_openapi"
    make gen_openapi >"$build/gen_openapi.log" 2>&1 || {
      tail -n 50 "$build/gen_openapi.log" >&2
      die "make gen_openapi failed (full log: $build/gen_openapi.log)"
    }
    log "make gen_openapi took $((SECONDS - t)) s"
    t=$SECONDS
    log "hack/make-rules/build.sh cmd/kube-apiserver"
    hack/make-rules/build.sh cmd/kube-apiserver >"$build/build.log" 2>&1 || {
      tail -n 50 "$build/build.log" >&2
      die "building cmd/kube-apiserver failed (full log: $build/build.log)"
    }
    log "building cmd/kube-apiserver took $((SECONDS - t)) s"
  ) || exit 1

  local out
  out=$(find "$tree/_output" -type f -name kube-apiserver -perm -u+x | head -n 1)
  [ -n "$out" ] || die "the build produced no kube-apiserver binary"
  "$out" --version >/dev/null 2>&1 || die "the built kube-apiserver does not run ($out)"
  install -m 0755 "$out" "$apiserver_bin.tmp.$$"
  mv -f "$apiserver_bin.tmp.$$" "$apiserver_bin"
  rm -rf "$build"
}

# ---------------------------------------------------------------------------------------------
# processes

# The PID in DIR/NAME.pid when that process is alive and is the one started for DIR.
live_pid() {
  local dir=$1 name=$2 pid state
  [ -f "$dir/$name.pid" ] || return 1
  pid=$(cat "$dir/$name.pid" 2>/dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ -r "/proc/$pid/cmdline" ] || return 1
  state=$(sed -E 's/^[0-9]+ \(.*\) ([A-Za-z]).*/\1/' "/proc/$pid/stat" 2>/dev/null) || return 1
  [ "$state" != Z ] || return 1
  # Guard against PID reuse: the process must name DIR in its arguments.
  tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$dir/" || return 1
  echo "$pid"
}

stop_one() {
  local dir=$1 name=$2 pid i
  if pid=$(live_pid "$dir" "$name"); then
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 150; i++)); do
      live_pid "$dir" "$name" >/dev/null || break
      sleep 0.1
    done
    if live_pid "$dir" "$name" >/dev/null; then
      log "$name (pid $pid) did not stop within 15 s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do
        live_pid "$dir" "$name" >/dev/null || break
        sleep 0.1
      done
      ! live_pid "$dir" "$name" >/dev/null || die "$name (pid $pid) survived SIGKILL"
    fi
  fi
  rm -f "$dir/$name.pid"
}

# Starts the command in DIR/NAME.cmd (one argument a line) in the background.
launch() {
  local dir=$1 name=$2 argv=()
  mapfile -t argv <"$dir/$name.cmd"
  echo "==== $(date -u +%Y-%m-%dT%H:%M:%SZ) starting $name" >>"$dir/$name.log"
  "${argv[@]}" </dev/null >>"$dir/$name.log" 2>&1 &
  echo $! >"$dir/$name.pid"
}

# Distinct free TCP ports on 127.0.0.1 (below the ephemeral range when possible, so that an
# outgoing connection is unlikely to take one before its server binds it again on a restart).
free_ports() {
  python3 - "$1" <<'PY'
import random, socket, sys
n = int(sys.argv[1])
try:
    lo = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
except Exception:
    lo = 32768
socks, ports = [], []
candidates = list(range(20000, max(20001, min(lo, 32768))))
random.shuffle(candidates)
for port in candidates + [0] * n:
    if len(ports) == n:
        break
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        s.close()
        continue
    socks.append(s)
    ports.append(s.getsockname()[1])
if len(ports) < n:
    sys.exit("no free ports")
print(" ".join(map(str, ports)))
PY
}

kube_ready() {
  "$kubectl" --kubeconfig "$1" --request-timeout=5s get --raw /readyz >/dev/null 2>&1
}

wait_apiserver() {
  local dir=$1 deadline=$((SECONDS + start_timeout))
  until kube_ready "$dir/kubeconfig"; do
    if ! live_pid "$dir" kube-apiserver >/dev/null; then
      tail -n 30 "$dir/kube-apiserver.log" >&2 || true
      die "kube-apiserver exited (log: $dir/kube-apiserver.log)"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      tail -n 30 "$dir/kube-apiserver.log" >&2 || true
      die "kube-apiserver not ready after ${start_timeout} s (log: $dir/kube-apiserver.log)"
    fi
    sleep 0.5
  done
}

wait_etcd() {
  local dir=$1 port=$2 deadline=$((SECONDS + start_timeout))
  until python3 -c 'import sys, urllib.request; sys.exit(0 if b"true" in urllib.request.urlopen(sys.argv[1], timeout=2).read() else 1)' \
    "http://127.0.0.1:$port/health" >/dev/null 2>&1; do
    if ! live_pid "$dir" etcd >/dev/null; then
      tail -n 30 "$dir/etcd.log" >&2 || true
      die "etcd exited (log: $dir/etcd.log)"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      tail -n 30 "$dir/etcd.log" >&2 || true
      die "etcd not healthy after ${start_timeout} s (log: $dir/etcd.log)"
    fi
    sleep 0.2
  done
}

# ---------------------------------------------------------------------------------------------
# certificates

make_certs() {
  local dir=$1 ext
  ext=$(mktemp "$dir/.ext.XXXXXX")
  openssl_quiet() {
    openssl "$@" 2>"$dir/.openssl.err" || {
      cat "$dir/.openssl.err" >&2
      die "openssl $1 failed"
    }
    rm -f "$dir/.openssl.err"
  }
  newkey() { openssl_quiet genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1"; }
  serial() { echo "0x$(openssl rand -hex 16)"; }

  newkey "$dir/ca.key"
  openssl_quiet req -x509 -new -key "$dir/ca.key" -sha256 -days 3650 -subj "/CN=sovereign-e2e-ca" \
    -set_serial "$(serial)" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -addext "subjectKeyIdentifier=hash" \
    -out "$dir/ca.crt"

  # leaf NAME SUBJECT EXTENSIONS...
  leaf() {
    local name=$1 subj=$2
    shift 2
    printf '%s\n' "$@" >"$ext"
    newkey "$dir/$name.key"
    openssl_quiet req -new -key "$dir/$name.key" -subj "$subj" -out "$dir/$name.csr"
    openssl_quiet x509 -req -in "$dir/$name.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
      -set_serial "$(serial)" -days 3650 -sha256 -extfile "$ext" -out "$dir/$name.crt"
    rm -f "$dir/$name.csr"
  }
  leaf apiserver "/CN=kube-apiserver" \
    "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature,keyEncipherment" \
    "extendedKeyUsage=serverAuth" \
    "subjectKeyIdentifier=hash" \
    "authorityKeyIdentifier=keyid" \
    "subjectAltName=IP:127.0.0.1,DNS:localhost,IP:10.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  leaf admin "/O=system:masters/CN=sovereign-e2e-admin" \
    "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature,keyEncipherment" \
    "extendedKeyUsage=clientAuth" \
    "subjectKeyIdentifier=hash" \
    "authorityKeyIdentifier=keyid"
  rm -f "$ext"

  newkey "$dir/sa.key"
  openssl_quiet pkey -in "$dir/sa.key" -pubout -out "$dir/sa.pub"
  chmod 600 "$dir"/*.key
}

write_kubeconfig() {
  local dir=$1 port=$2
  b64() { base64 -w0 <"$1"; }
  : >"$dir/kubeconfig.tmp"
  chmod 600 "$dir/kubeconfig.tmp"
  cat >"$dir/kubeconfig.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: sovereign-e2e
  cluster:
    server: https://127.0.0.1:$port
    certificate-authority-data: $(b64 "$dir/ca.crt")
users:
- name: sovereign-e2e-admin
  user:
    client-certificate-data: $(b64 "$dir/admin.crt")
    client-key-data: $(b64 "$dir/admin.key")
contexts:
- name: sovereign-e2e
  context:
    cluster: sovereign-e2e
    user: sovereign-e2e-admin
current-context: sovereign-e2e
EOF
  mv -f "$dir/kubeconfig.tmp" "$dir/kubeconfig"
}

# ---------------------------------------------------------------------------------------------
# start / stop / restart-apiserver

absdir() {
  mkdir -p "$1" && (cd "$1" && pwd -P)
}

need_runtime() {
  command -v "$kubectl" >/dev/null || die "kubectl not found; run: $0 install"
  command -v etcd >/dev/null || die "etcd not found; run: $0 install"
  command -v openssl >/dev/null || die "openssl not found; run: $0 install"
  command -v python3 >/dev/null || die "python3 not found; run: $0 install"
  case "$1" in
    1.20) apiserver_works || die "no working kube-apiserver at $apiserver_bin; run: $0 install" ;;
    1.35) install_current ;;
  esac
}

# EXIT trap of `start`: on failure, stop what it started (logs stay in DIR).
start_failed() {
  local status=$?
  [ "$status" -ne 0 ] || return 0
  log "start failed; stopping what it started (logs in $start_dir)"
  stop_one "$start_dir" kube-apiserver || true
  stop_one "$start_dir" etcd || true
}

cmd_start() {
  [ "$#" -eq 1 ] || [ "$#" -eq 2 ] || usage
  local version=${2:-1.20}
  case "$version" in
    1.20 | 1.35) ;;
    *) die "unknown version $version (known: 1.20, 1.35)" ;;
  esac
  if [ -n "${KUBECONFIG:-}" ] && "$kubectl" --request-timeout=5s get --raw /readyz >/dev/null 2>&1; then
    log "KUBECONFIG ($KUBECONFIG) names a ready API server; using it and starting nothing"
    printf 'export KUBECONFIG=%q\n' "$KUBECONFIG"
    return 0
  fi
  [ -z "${KUBECONFIG:-}" ] || log "KUBECONFIG ($KUBECONFIG) does not answer /readyz; starting a control plane"
  need_runtime "$version"

  # Global, for the EXIT trap below.
  start_dir=$(absdir "$1") || die "cannot create $1"
  local dir=$start_dir
  if live_pid "$dir" etcd >/dev/null || live_pid "$dir" kube-apiserver >/dev/null; then
    die "a control plane from $dir is already running; run: $0 stop $dir"
  fi

  # On any failure from here on, stop what was started (logs stay in DIR).
  trap start_failed EXIT

  local t0=$SECONDS
  log "certificates in $dir"
  make_certs "$dir"

  local ports etcd_port peer_port api_port
  ports=$(free_ports 3) || die "could not find free loopback ports"
  read -r etcd_port peer_port api_port <<<"$ports"

  rm -rf "$dir/etcd"
  local arch_env=()
  case "$(uname -m)" in
    x86_64 | amd64) ;;
    aarch64 | arm64) arch_env=(env ETCD_UNSUPPORTED_ARCH=arm64) ;;
    *) arch_env=(env "ETCD_UNSUPPORTED_ARCH=$(dpkg --print-architecture 2>/dev/null || uname -m)") ;;
  esac
  printf '%s\n' "${arch_env[@]}" "$(command -v etcd)" \
    --name=sovereign-e2e \
    "--data-dir=$dir/etcd" \
    "--listen-client-urls=http://127.0.0.1:$etcd_port" \
    "--advertise-client-urls=http://127.0.0.1:$etcd_port" \
    "--listen-peer-urls=http://127.0.0.1:$peer_port" \
    "--initial-advertise-peer-urls=http://127.0.0.1:$peer_port" \
    "--initial-cluster=sovereign-e2e=http://127.0.0.1:$peer_port" \
    --initial-cluster-state=new \
    --initial-cluster-token=sovereign-e2e \
    --logger=zap \
    --log-outputs=stderr \
    >"$dir/etcd.cmd"
  log "starting etcd on 127.0.0.1:$etcd_port (peer $peer_port)"
  launch "$dir" etcd
  wait_etcd "$dir" "$etcd_port"

  # What differs between the versions: the binary and the feature gates. (Neither gets
  # --insecure-port: 1.20 serves none by default and 1.24 removed the flag.)
  local bin gates
  case "$version" in
    1.20) bin=$apiserver_bin gates=GenericEphemeralVolume=true ;;
    # PodTopologyLabels: a Binding copies the node's region/zone labels onto the Pod (on by
    # default from 1.35; alpha in this snapshot).
    1.35) bin=$current_bin gates=PodTopologyLabelsAdmission=true ;;
  esac
  local issuer=https://kubernetes.default.svc.cluster.local
  printf '%s\n' "$bin" \
    "--etcd-servers=http://127.0.0.1:$etcd_port" \
    --bind-address=127.0.0.1 \
    --advertise-address=127.0.0.1 \
    "--secure-port=$api_port" \
    "--cert-dir=$dir/apiserver-certs" \
    "--tls-cert-file=$dir/apiserver.crt" \
    "--tls-private-key-file=$dir/apiserver.key" \
    "--client-ca-file=$dir/ca.crt" \
    "--service-account-issuer=$issuer" \
    "--service-account-key-file=$dir/sa.pub" \
    "--service-account-signing-key-file=$dir/sa.key" \
    "--api-audiences=$issuer" \
    --service-cluster-ip-range=10.0.0.0/24 \
    --authorization-mode=RBAC \
    --disable-admission-plugins=ServiceAccount \
    --allow-privileged=true \
    "--feature-gates=$gates" \
    >"$dir/kube-apiserver.cmd"
  write_kubeconfig "$dir" "$api_port"
  log "starting kube-apiserver on https://127.0.0.1:$api_port"
  launch "$dir" kube-apiserver
  wait_apiserver "$dir"
  log "kube-apiserver $version ready after $((SECONDS - t0)) s"

  # 1.20 only: the label that Kubernetes >= 1.21 sets on every namespace itself (webhooks
  # exempt namespaces by it).
  local ns deadline=$((SECONDS + start_timeout)) namespaces=()
  [ "$version" != 1.20 ] || namespaces=(default kube-system kube-public kube-node-lease)
  for ns in "${namespaces[@]}"; do
    until "$kubectl" --kubeconfig "$dir/kubeconfig" label namespace "$ns" \
      "kubernetes.io/metadata.name=$ns" --overwrite >/dev/null 2>"$dir/.label.err"; do
      [ "$SECONDS" -lt "$deadline" ] || {
        cat "$dir/.label.err" >&2
        die "could not label namespace $ns"
      }
      sleep 0.5
    done
  done
  rm -f "$dir/.label.err"

  trap - EXIT
  log "control plane up in $((SECONDS - t0)) s; stop it with: $0 stop $dir"
  printf 'export KUBECONFIG=%q\n' "$dir/kubeconfig"
}

cmd_stop() {
  [ "$#" -eq 1 ] || usage
  [ -d "$1" ] || return 0
  local dir
  dir=$(cd "$1" && pwd -P)
  stop_one "$dir" kube-apiserver
  stop_one "$dir" etcd
}

cmd_restart_apiserver() {
  [ "$#" -eq 1 ] || usage
  [ -d "$1" ] || die "$1: no such folder"
  local dir
  dir=$(cd "$1" && pwd -P)
  if [ ! -f "$dir/kube-apiserver.cmd" ] || [ ! -f "$dir/kubeconfig" ]; then
    die "$dir holds no control plane started by this script (was KUBECONFIG an existing cluster?)"
  fi
  live_pid "$dir" etcd >/dev/null || die "etcd from $dir is not running; run: $0 start $dir"
  local t0=$SECONDS
  stop_one "$dir" kube-apiserver
  log "starting kube-apiserver again"
  launch "$dir" kube-apiserver
  wait_apiserver "$dir"
  log "kube-apiserver ready again after $((SECONDS - t0)) s"
}

case "${1:-}" in
  install)
    [ "$#" -eq 1 ] || usage
    cmd_install
    ;;
  versions)
    [ "$#" -eq 1 ] || usage
    cmd_versions
    ;;
  start) shift && cmd_start "$@" ;;
  stop) shift && cmd_stop "$@" ;;
  restart-apiserver) shift && cmd_restart_apiserver "$@" ;;
  -h | --help | help) usage ;;
  *) usage ;;
esac
