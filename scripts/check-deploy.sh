#!/usr/bin/env bash
# Validates the deployment files as far as this machine allows (no Docker engine, no
# Kubernetes cluster): every YAML parses; the compose file and the manifests have the keys
# and cross-references they need; the probe paths are routes hostpay serves; the
# Dockerfile follows the rules below; Cargo.lock is current (the image builds --locked);
# and the configuration the compose file, the ConfigMap and the example Secret give
# hostpay passes `hostpay config check`.
#
# Usage: scripts/check-deploy.sh   (HOSTPAY_BIN=path/to/hostpay to skip the build)
set -euo pipefail
cd "$(dirname "$0")/.."

if ! python3 -c 'import yaml' 2>/dev/null; then
  # PyYAML for whichever python3 is first on PATH (pip), else Debian's package (which
  # serves Debian's own python3).
  echo "installing PyYAML to parse the manifests"
  if ! python3 -m pip install -q pyyaml >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends python3-yaml >/dev/null
  fi
  python3 -c 'import yaml' || { echo "check-deploy: FAILED: python3 cannot import yaml"; exit 1; }
fi

# The image builds with `cargo build --locked`: Cargo.lock must be current.
if ! cargo metadata --locked --format-version 1 >/dev/null 2>&1; then
  echo "check-deploy: FAILED"
  echo "  - Cargo.lock is not up to date: the Dockerfile's cargo build --locked would fail"
  exit 1
fi

bin="${HOSTPAY_BIN:-}"
if [ -z "$bin" ]; then
  cargo build -q -p hostpay-app
  # Where cargo put it: target/ by default, elsewhere under CARGO_TARGET_DIR or build.target-dir.
  target_dir="$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
  bin="$target_dir/debug/hostpay"
  if [ ! -x "$bin" ]; then
    echo "check-deploy: FAILED: cargo build succeeded but there is no $bin"
    exit 1
  fi
fi

python3 - "$bin" <<'PY'
import json, os, re, subprocess, sys
import yaml

hostpay = sys.argv[1]
failures = []

def check(condition, message):
    if not condition:
        failures.append(message)

def load_all(path):
    with open(path) as f:
        return [doc for doc in yaml.safe_load_all(f) if doc is not None]

def config_check(label, env):
    """Runs `hostpay config check --json` with only `env` set; returns the effective config."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HOSTPAY")}
    clean.update({k: str(v) for k, v in env.items()})
    run = subprocess.run([hostpay, "config", "check", "--json"], env=clean,
                         capture_output=True, text=True)
    check(run.returncode == 0, f"{label}: hostpay config check failed: {run.stderr.strip()}")
    return json.loads(run.stdout) if run.returncode == 0 else {}

# --- routes hostpay serves on both listeners ---------------------------------------
health_rs = open("crates/http/src/health.rs").read()
routes = set(re.findall(r'"(/[a-z]+)"', health_rs))
for path in ("/healthz", "/readyz", "/metrics"):
    check(path in routes, f"crates/http/src/health.rs does not route {path}")

# --- compose ---------------------------------------------------------------------------
compose = load_all("deploy/compose.yaml")[0]
services = compose.get("services", {})
check({"hostpay", "postgres"} <= set(services), "compose: needs services hostpay and postgres")
pg = services.get("postgres", {})
check(str(pg.get("image", "")).startswith("postgres:16"), "compose: postgres must be postgres:16")
volumes = [str(v) for v in pg.get("volumes", [])]
check(any(v.endswith(":/var/lib/postgresql/data") for v in volumes),
      "compose: postgres data must be on a volume")
for v in volumes:
    name = v.split(":")[0]
    if not name.startswith(("/", ".")):
        check(name in (compose.get("volumes") or {}), f"compose: volume {name} is not declared")
check("healthcheck" in pg, "compose: postgres needs a healthcheck")
hp = services.get("hostpay", {})
check(hp.get("build", {}).get("dockerfile") == "deploy/Dockerfile",
      "compose: hostpay must build deploy/Dockerfile")
check(hp.get("depends_on", {}).get("postgres", {}).get("condition") == "service_healthy",
      "compose: hostpay must wait for a healthy postgres")
env = hp.get("environment", {})
check(str(env.get("HOSTPAY__DATABASE__URL", "")).startswith("postgres://"),
      "compose: hostpay must use PostgreSQL")
check("@postgres:" in str(env.get("HOSTPAY__DATABASE__URL", "")),
      "compose: the database host must be the postgres service")
effective = config_check("compose", env)
if effective:
    check(effective.get("database.migrate_on_start") is True,
          "compose: hostpay must migrate on start")
    check(str(effective.get("server.bind", "")).startswith("0.0.0.0:"),
          "compose: server.bind must listen on all interfaces inside the container")
ports = [str(p) for p in hp.get("ports", [])]
check(any(p.endswith(":8080") for p in ports), "compose: publish the public port 8080")

# --- Kubernetes ------------------------------------------------------------------------
docs = {}
for name in sorted(os.listdir("deploy/k8s")):
    if name.endswith(".yaml"):
        for doc in load_all(os.path.join("deploy/k8s", name)):
            check("kind" in doc and "apiVersion" in doc, f"k8s/{name}: kind and apiVersion")
            docs.setdefault(doc.get("kind"), []).append((name, doc))

def one(kind):
    found = docs.get(kind, [])
    check(len(found) >= 1, f"k8s: no {kind}")
    return found[0][1] if found else {}

deployment = one("Deployment")
configmap = one("ConfigMap")
secret = one("Secret")
pdb = one("PodDisruptionBudget")
spec = deployment.get("spec", {})
check(spec.get("replicas") == 2, "k8s: the Deployment runs 2 replicas")
selector = spec.get("selector", {}).get("matchLabels", {})
labels = spec.get("template", {}).get("metadata", {}).get("labels", {})
check(selector and all(labels.get(k) == v for k, v in selector.items()),
      "k8s: the Deployment's selector must match its pod labels")
pod = spec.get("template", {}).get("spec", {})
check(pod.get("securityContext", {}).get("runAsNonRoot") is True, "k8s: pods run as non-root")
containers = pod.get("containers", [])
check(len(containers) == 1, "k8s: one container")
container = containers[0] if containers else {}
port_names = {p.get("name"): p.get("containerPort") for p in container.get("ports", [])}
for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
    get = container.get(probe, {}).get("httpGet", {})
    check(get.get("path") == path, f"k8s: {probe} must GET {path}")
    check(get.get("path") in routes, f"k8s: {probe} path {get.get('path')} is not a route")
    check(get.get("port") in port_names or get.get("port") in port_names.values(),
          f"k8s: {probe} port {get.get('port')} is not a container port")
refs = container.get("envFrom", [])
check({"configMapRef": {"name": configmap.get("metadata", {}).get("name")}} in refs,
      "k8s: the container must load the ConfigMap")
check({"secretRef": {"name": secret.get("metadata", {}).get("name")}} in refs,
      "k8s: the container must load the Secret")
for _, service in docs.get("Service", []):
    sel = service.get("spec", {}).get("selector", {})
    check(sel and all(labels.get(k) == v for k, v in sel.items()),
          f"k8s: Service {service['metadata']['name']} selects no pod")
    for port in service.get("spec", {}).get("ports", []):
        target = port.get("targetPort")
        check(target in port_names or target in port_names.values(),
              f"k8s: Service {service['metadata']['name']} targets unknown port {target}")
pdb_sel = pdb.get("spec", {}).get("selector", {}).get("matchLabels", {})
check(pdb_sel and all(labels.get(k) == v for k, v in pdb_sel.items()), "k8s: the PDB selects no pod")
check(0 < int(pdb.get("spec", {}).get("minAvailable", 0)) < spec.get("replicas", 0),
      "k8s: the PDB must leave room for one voluntary disruption")
k8s_env = dict(configmap.get("data", {}))
k8s_env.update(secret.get("stringData", {}))
effective = config_check("k8s ConfigMap + Secret", k8s_env)
if effective:
    bound = str(effective.get("server.bind", ""))
    check(bound.endswith(":" + str(port_names.get("public"))),
          "k8s: server.bind must use the container's public port")
    check(str(effective.get("internal.bind", "")).endswith(":" + str(port_names.get("internal"))),
          "k8s: internal.bind must use the container's internal port")

# --- Dockerfile (lint by inspection) ---------------------------------------------------
dockerfile = open("deploy/Dockerfile").read()
lines = [l.strip() for l in dockerfile.replace("\\\n", " ").splitlines()
         if l.strip() and not l.strip().startswith("#")]
froms = [l for l in lines if l.upper().startswith("FROM ")]
check(len(froms) >= 2, "Dockerfile: multi-stage (at least two FROM)")
for line in froms:
    image = line.split()[1]
    check(":" in image and not image.endswith(":latest"), f"Dockerfile: pin the tag of {image}")
final = dockerfile[dockerfile.rfind("\nFROM "):]
users = re.findall(r"^USER\s+(\S+)", final, re.M)
check(users and users[-1].split(":")[0] not in ("0", "root"),
      "Dockerfile: the runtime stage runs as a non-root USER")
check("COPY --from=" in final, "Dockerfile: the runtime stage copies only the built binary")
check("cargo" not in final, "Dockerfile: no Rust toolchain in the runtime stage")
for line in lines:
    if "apt-get install" in line:
        check("--no-install-recommends" in line, "Dockerfile: apt-get install --no-install-recommends")
        check("rm -rf /var/lib/apt/lists" in line, "Dockerfile: clean the apt lists in the same layer")
    check(not re.match(r"ADD\s+https?://", line), "Dockerfile: no ADD of URLs")
check("--locked" in dockerfile, "Dockerfile: cargo build --locked")
entry = [l for l in lines if l.startswith("ENTRYPOINT")]
check(entry and entry[-1].split(None, 1)[1].startswith("["), "Dockerfile: exec-form ENTRYPOINT")
check(re.search(r"^EXPOSE\s+8080", dockerfile, re.M), "Dockerfile: EXPOSE 8080")
rust = re.search(r"ARG RUST_VERSION=(\d+)\.(\d+)", dockerfile)
msrv = re.search(r'rust-version\s*=\s*"(\d+)\.(\d+)"', open("Cargo.toml").read())
check(rust and msrv and tuple(map(int, rust.groups())) >= tuple(map(int, msrv.groups())),
      "Dockerfile: RUST_VERSION must be at least the workspace rust-version")

# --- CI workflow -----------------------------------------------------------------------
workflow = load_all(".github/workflows/ci.yml")[0]
steps = json.dumps(workflow.get("jobs", {}))
check(".ci/run" in steps, "ci.yml: runs .ci/run")

if failures:
    print("check-deploy: FAILED")
    for failure in failures:
        print("  -", failure)
    sys.exit(1)
print("check-deploy: compose, k8s manifests, Dockerfile and CI workflow are consistent")
PY
