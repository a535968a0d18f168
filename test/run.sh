#!/usr/bin/env bash
# Runs every test with node's built-in runner (compiled from test/ into test/dist).
# Usage: test/run.sh [glob ...]   e.g. test/run.sh 'test/dist/integration/apiserver/*.test.js'
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
export TESTCONTAINERS_RYUK_DISABLED=true TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1
if [ $# -eq 0 ]; then
  set -- 'test/dist/unit/**/*.test.js' 'test/dist/integration/**/*.test.js' 'test/dist/e2e/**/*.test.js' 'test/dist/chaos/**/*.test.js' 'test/dist/fuzz/**/*.test.js'
fi
exec node --test --test-concurrency=2 --test-timeout=300000 "$@"
