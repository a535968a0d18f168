#!/usr/bin/env bash
# Brings a machine up to what mk needs, skipping every step that is already done:
# Debian packages, a running dockerd, Node 24, npm dependencies, the build, the offline images.
# Safe to run again and again; quick (about a second) when nothing is missing.
set -euo pipefail

export PATH="$PATH:/usr/sbin:/sbin"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
step() { printf '\033[1msetup:\033[0m %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# 1. Debian packages ---------------------------------------------------------------------------
missing=()
command -v etcd >/dev/null 2>&1 || missing+=(etcd-server)
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
dpkg -s busybox-static >/dev/null 2>&1 || missing+=(busybox-static)
command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
command -v nsenter >/dev/null 2>&1 || missing+=(util-linux)
# The node proxy deletes UDP conntrack entries of a Service whose endpoints changed; ab measures it.
command -v conntrack >/dev/null 2>&1 || missing+=(conntrack)
command -v ab >/dev/null 2>&1 || missing+=(apache2-utils)
# The proxy's e2e test builds a static UDP echo (busybox's nc has no UDP).
command -v gcc >/dev/null 2>&1 || missing+=(gcc)
[ -e /usr/lib/x86_64-linux-gnu/libc.a ] || [ -e /usr/lib/aarch64-linux-gnu/libc.a ] || missing+=(libc6-dev)
if [ ${#missing[@]} -gt 0 ]; then
  step "installing Debian packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# 2. A running Docker engine -------------------------------------------------------------------
if ! docker info >/dev/null 2>&1; then
  step "starting dockerd"
  as_root bash -c 'nohup dockerd >/var/log/mk-dockerd.log 2>&1 &'
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || { echo "setup: dockerd did not start; see /var/log/mk-dockerd.log" >&2; exit 1; }
fi

# 3. Node 24 -----------------------------------------------------------------------------------
# The system Node may be older (Node 20 is end-of-life). Bring Node 24 from npm's `node` package into
# .tools/node and link it into node_modules/.bin, which npm puts first on PATH for every npm script.
NODE_BIN="$(command -v node)"
major="$("$NODE_BIN" -p 'process.versions.node.split(".")[0]')"
if [ "$major" -lt 24 ]; then
  NODE_BIN="$ROOT/.tools/node/node_modules/node/bin/node"
  if ! [ -x "$NODE_BIN" ] || ! "$NODE_BIN" --version >/dev/null 2>&1; then
    step "installing Node 24 into .tools/node (system Node is $("$(command -v node)" --version))"
    mkdir -p .tools/node
    # The package's preinstall script fetches the platform binary package from the npm registry;
    # it is approved here by name.
    npm install --prefix .tools/node --no-save --no-audit --no-fund --loglevel=error --allow-scripts=node node@24 >/dev/null 2>&1 ||
      npm install --prefix .tools/node --no-save --no-audit --no-fund --loglevel=error node@24 >/dev/null
  fi
fi
NPM_CLI="$(dirname "$(readlink -f "$(command -v npm)")")/npm-cli.js"
[ -f "$NPM_CLI" ] || NPM_CLI="$(npm root -g)/npm/bin/npm-cli.js"
npm24() { "$NODE_BIN" "$NPM_CLI" "$@"; }

# 4. npm dependencies (under Node 24, so versions are resolved for it) ---------------------------
if ! [ -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "npm ci"
  if ! npm24 ci --no-audit --no-fund --loglevel=error >/tmp/mk-npm-ci.log 2>&1; then
    # Some registries lack optional platform builds (biome's macOS/Windows/musl binaries, say); the
    # lockfile cannot list what the registry does not have, and npm ci then counts them as missing.
    # npm install still installs exactly the locked versions of everything that exists.
    if grep -q "Missing: .* from lock file" /tmp/mk-npm-ci.log; then
      step "npm ci: the registry lacks optional packages named in package.json; npm install from the lockfile"
      npm24 install --no-audit --no-fund --loglevel=error
    else
      cat /tmp/mk-npm-ci.log >&2
      exit 1
    fi
  fi
fi
if [ "$(readlink -f node_modules/.bin/node 2>/dev/null)" != "$(readlink -f "$NODE_BIN")" ]; then
  ln -sf "$NODE_BIN" node_modules/.bin/node
fi
export PATH="$ROOT/node_modules/.bin:$PATH"

# 5. Build (generation and tsc are both incremental) ---------------------------------------------
node proto/scripts/gen.mjs
node apiserver/scripts/gen.mjs
if ! tsc -b tsconfig.json; then
  echo "setup: build failed" >&2
  exit 1
fi
# mkctl runs from a bundle (kubectl/dist/bundle/): it starts in a fraction of the time 250 modules take.
node kubectl/scripts/bundle.mjs

# The workspaces' commands (`npx mkctl`, mk-apiserver …) in node_modules/.bin: npm links a bin only
# when its file exists at install time, and on a fresh clone dist/ is built after `npm ci`.
node deploy/link-bins.mjs
# `mkctl` on the PATH, run by this checkout's Node 24 (where and why: deploy/mkctl-shim.sh).
bash deploy/mkctl-shim.sh "$NODE_BIN"

# 6. Offline images ----------------------------------------------------------------------------
if [ -x deploy/images/build.sh ]; then
  bash deploy/images/build.sh
fi
