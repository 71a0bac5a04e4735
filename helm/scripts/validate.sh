#!/usr/bin/env bash
# Validates the Helm chart offline: the configuration list is current, `helm lint` passes, and
# the manifests rendered from the default values, values-production.yaml and every optional
# part switched on are valid Kubernetes objects (kubeconform, strict: unknown fields fail).
# Tools are built once from their Go modules into the cache; the Kubernetes JSON schemas come
# from the PyPI package kubernetes-validate (kubeconform's usual download site is not needed).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$PWD
CHART=$ROOT/helm/repute
CACHE=${REPUTE_CACHE_DIR:-$HOME/.cache/repute}
BIN=$CACHE/bin
HELM_VERSION=v3.22.0
KUBECONFORM_VERSION=v0.8.0
KUBE_VERSION=1.33.0
SCHEMA_PACKAGE=kubernetes-validate==1.37.0
SCHEMAS=$CACHE/kubernetes-json-schema
export PATH="$ROOT/node_modules/.bin:$BIN:$PATH"
export GOTOOLCHAIN=local

die() { echo "validate: $*" >&2; exit 1; }

go_tool() { # name module version
  local marker="$BIN/.$1-$3"
  if [[ ! -x $BIN/$1 || ! -f $marker ]]; then
    command -v go >/dev/null || die "go is missing: it builds $1 from $2@$3"
    echo "==> building $1 $3 (once, into $BIN)"
    GOBIN=$BIN go install "$2@$3"
    touch "$marker"
  fi
}
go_tool helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION"
go_tool kubeconform github.com/yannh/kubeconform/cmd/kubeconform "$KUBECONFORM_VERSION"

STANDALONE=$SCHEMAS/v$KUBE_VERSION-standalone-strict
if [[ ! -f $STANDALONE/.complete ]]; then
  echo "==> Kubernetes $KUBE_VERSION JSON schemas from $SCHEMA_PACKAGE (once, into $SCHEMAS)"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  python3 -m pip download --quiet --no-deps --dest "$work" "$SCHEMA_PACKAGE"
  python3 - "$work" "v$KUBE_VERSION-local-strict" <<'PY'
import glob, sys, zipfile
work, folder = sys.argv[1], sys.argv[2]
wheel = glob.glob(f"{work}/*.whl")[0]
prefix = f"kubernetes_validate/kubernetes-json-schema/{folder}/"
with zipfile.ZipFile(wheel) as z:
    names = [n for n in z.namelist() if n.startswith(prefix)]
    if not names:
        sys.exit(f"{wheel} has no {prefix}")
    z.extractall(work, names)
PY
  rm -rf "$STANDALONE"
  node "$ROOT/helm/scripts/standalone-schemas.ts" "$work/kubernetes_validate/kubernetes-json-schema/v$KUBE_VERSION-local-strict" "$STANDALONE"
  touch "$STANDALONE/.complete"
fi

echo "==> configuration variables"
node --conditions=source "$ROOT/helm/scripts/config-variables.ts" --check

echo "==> dashboards"
for f in "$CHART"/dashboards/*.json; do
  node -e 'JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"))' "$f" || die "$f is not JSON"
done

OUT=$(mktemp -d)
trap 'rm -rf "$OUT" "${work:-}"' EXIT
ALL_ON=(--set analyst.enabled=true --set dns.enabled=true --set dns.config.DNS_PUBLIC_ZONE=bl.example --set metrics.serviceMonitor.enabled=true --set metrics.prometheusRule.enabled=true
  --set metrics.dashboards.enabled=true --set secrets.FILTER_SIGNING_KEY_PEM=pem)
render() { # name, helm args...
  local name=$1
  shift
  echo "==> helm lint and template: $name"
  helm lint --strict "$CHART" "$@" --kube-version "$KUBE_VERSION" >/dev/null || { helm lint --strict "$CHART" "$@"; die "helm lint failed ($name)"; }
  helm template repute "$CHART" "$@" --kube-version "$KUBE_VERSION" >"$OUT/$name.yaml"
}
render default
render production -f "$CHART/values-production.yaml"
render all-on "${ALL_ON[@]}"

echo "==> a variable no service reads fails the render"
if helm template repute "$CHART" --kube-version "$KUBE_VERSION" --set config.REDIS_ULR=x >/dev/null 2>&1; then
  die "config.REDIS_ULR rendered: the variable check in templates/_helpers.tpl does not work"
fi

echo "==> kubeconform (Kubernetes $KUBE_VERSION, strict)"
# ServiceMonitor and PrometheusRule are prometheus-operator CRDs without a schema here.
kubeconform -strict -summary -kubernetes-version "$KUBE_VERSION" \
  -schema-location "$SCHEMAS/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
  -skip ServiceMonitor,PrometheusRule "$OUT"/*.yaml
echo "helm chart: valid"
