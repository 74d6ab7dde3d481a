#!/usr/bin/env bash
# The seed scenario on a real kind cluster (needs Docker, kind and kubectl): the document's cluster
# (lab/kind/kind-config.yaml), natwatch built from this checkout and deployed with deploy/kubernetes
# (lab/kind/natwatch), the seed's workloads and steps (lab/kind/seed-steps.ts), then the browser tests against it.
#
# usage: bash lab/kind/seed.sh [up|steps|rules|e2e|down|all]...   (default: all = up steps e2e)
#   up     create the cluster (once), build and load the images, deploy natwatch, issue the collectors' token
#   steps  run the seed steps with kubectl; their account goes to $NATWATCH_KIND_OUT/scenario.json
#   rules  print the document's greps of myk8s-worker's nat table
#   e2e    the Playwright suite against natwatch in the cluster (E2E_TARGET=kind)
#   down   delete the cluster
# Environment: KIND_NODE_IMAGE (default kindest/node:v1.32.2, the kube-proxy the lab's renderer follows),
# NATWATCH_KIND_OUT (default data/kind).
set -euo pipefail
cd "$(dirname "$0")/../.."

CLUSTER=myk8s
CONTEXT="kind-$CLUSTER"
KIND_NODE_IMAGE="${KIND_NODE_IMAGE:-kindest/node:v1.32.2}"
BASE_URL="http://127.0.0.1:30000"
OUT="${NATWATCH_KIND_OUT:-data/kind}"
k() { kubectl --context "$CONTEXT" "$@"; }
need() { command -v "$1" >/dev/null || { echo "lab/kind: $1 is required" >&2; exit 1; }; }

wait_for_app() {
  for _ in $(seq 1 150); do
    if curl -fsS "$BASE_URL/api/v1/clusters" >/dev/null 2>&1; then return 0; fi
    sleep 2
  done
  echo "lab/kind: natwatch does not answer at $BASE_URL" >&2
  return 1
}

up() {
  need docker; need kind; need kubectl
  if ! kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
    kind create cluster --config lab/kind/kind-config.yaml --image "$KIND_NODE_IMAGE" --wait 180s
  fi
  for image in app node-agent kube-inventory; do
    docker build -f "deploy/docker/$image.Dockerfile" -t "natwatch/$image:kind" .
    kind load docker-image --name "$CLUSTER" "natwatch/$image:kind"
  done
  k apply -k lab/kind/natwatch
  k -n natwatch rollout status deployment/natwatch-app --timeout=300s
  # The Secret holds a placeholder after every apply: a token from the app's own database replaces it, and the
  # collectors restart to read it.
  if k -n natwatch get secret natwatch-ingest -o jsonpath='{.data.token}' | base64 -d | grep -q '^REPLACE'; then
    token="$(k -n natwatch exec deployment/natwatch-app -- node bin/natwatch.mjs token create --cluster "$CLUSTER" --label kind | sed -n 2p)"
    k -n natwatch create secret generic natwatch-ingest --from-literal=token="$token" --dry-run=client -o yaml | k apply -f -
    k -n natwatch rollout restart daemonset/natwatch-node-agent deployment/natwatch-kube-inventory
  fi
  k -n natwatch rollout status daemonset/natwatch-node-agent --timeout=300s
  k -n natwatch rollout status deployment/natwatch-kube-inventory --timeout=300s
  wait_for_app
  echo "natwatch: $BASE_URL"
}

steps() {
  mkdir -p "$OUT"
  node --import tsx lab/kind/seed-steps.ts --server "$BASE_URL" --result "$OUT/scenario.json"
}

rules() {
  svc="$(k get service svc-clusterip -o jsonpath='{.spec.clusterIP}')"
  echo "# iptables -t nat -S | grep $svc"
  docker exec myk8s-worker iptables -t nat -S | grep -- "$svc" || true
  echo "# iptables -t nat -S | grep NODEPORT"
  docker exec myk8s-worker iptables -t nat -S | grep -- NODEPORT || true
}

e2e() {
  wait_for_app
  E2E_TARGET=kind E2E_BASE_URL="$BASE_URL" E2E_SCENARIO="$OUT/scenario.json" npx playwright test
}

down() {
  kind delete cluster --name "$CLUSTER"
}

[ "$#" -gt 0 ] || set -- all
for phase in "$@"; do
  case "$phase" in
    up | steps | rules | e2e | down) "$phase" ;;
    all) up; steps; rules; e2e ;;
    *) echo "usage: bash lab/kind/seed.sh [up|steps|rules|e2e|down|all]..." >&2; exit 2 ;;
  esac
done
