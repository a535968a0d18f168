#!/usr/bin/env bash
# Puts `mkctl` on the PATH: a two-line shell script that runs this checkout's kubectl/dist/main.js
# with this checkout's Node 24. A shim and not a link to the bin, because the bin's
# `#!/usr/bin/env node` would pick whatever `node` comes first on the user's PATH (the system's may be
# Node 20, which lacks the compile cache mkctl turns on). Where: /usr/local/bin as root (on every
# user's PATH and on sudo's secure_path, for `sudo mkctl cluster up --isolated`), else ~/.local/bin.
# A file there that is not an mk shim is left alone. Run by deploy/setup.sh (so by `npm start`).
# Usage: deploy/mkctl-shim.sh NODE_BIN [BIN_DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
NODE_BIN="$1"
if [ $# -ge 2 ]; then
  BIN_DIR="$2"
elif [ "$(id -u)" -eq 0 ]; then
  BIN_DIR=/usr/local/bin
else
  BIN_DIR="$HOME/.local/bin"
fi
MARK="# mk: mkctl shim written by deploy/setup.sh"
SHIM="$BIN_DIR/mkctl"
if [ -e "$SHIM" ] && ! grep -qF "$MARK" "$SHIM" 2>/dev/null; then
  # deploy/vm/install.sh writes its own shim for this checkout: that one is as good.
  grep -qF "$ROOT/kubectl/dist/main.js" "$SHIM" 2>/dev/null ||
    echo "setup: $SHIM exists and is not mk's shim: left alone (run mkctl as node_modules/.bin/mkctl)" >&2
  exit 0
fi
mkdir -p "$BIN_DIR"
q() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
tmp="$(mktemp "$BIN_DIR/.mkctl.XXXXXX")"
printf '#!/bin/sh\n%s (%s)\nexec %s %s "$@"\n' "$MARK" "$ROOT" "$(q "$NODE_BIN")" "$(q "$ROOT/kubectl/dist/main.js")" >"$tmp"
chmod 755 "$tmp"
mv -f "$tmp" "$SHIM"
case ":$PATH:" in
  *":$BIN_DIR:"*) ;;
  *) echo "setup: mkctl is in $BIN_DIR, which is not on your PATH: add it (export PATH=\"$BIN_DIR:\$PATH\")" >&2 ;;
esac
