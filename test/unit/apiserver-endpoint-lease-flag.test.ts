// mk-apiserver's --endpoint-lease-ttl: a bad or zero duration is refused naming the flag, before anything starts.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { dirname, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

// test/dist/unit → the repository's apiserver build.
const MAIN = resolve(dirname(fileURLToPath(import.meta.url)), "../../../apiserver/dist/main.js");

test("--endpoint-lease-ttl refuses a bad or zero duration naming the flag; --help lists it", () => {
  // An etcd endpoint nobody listens on: the flag must be refused before any connection is tried.
  const run = (v: string) => spawnSync(process.execPath, [MAIN, "--endpoint-lease-ttl", v, "--etcd-servers", "http://127.0.0.1:9", "--http-listen", ""], { encoding: "utf8", timeout: 30_000 });
  const bad = run("soon");
  assert.equal(bad.status, 1, bad.stderr);
  assert.equal(bad.stderr, 'mk-apiserver: --endpoint-lease-ttl: invalid duration "soon": use e.g. 1h, 30m or 90s\n');
  const zero = run("0s");
  assert.equal(zero.status, 1, zero.stderr);
  assert.equal(zero.stderr, 'mk-apiserver: --endpoint-lease-ttl: must be at least 1s, got "0s"\n');
  const help = spawnSync(process.execPath, [MAIN, "--help"], { encoding: "utf8", timeout: 30_000 });
  assert.match(help.stdout, /--endpoint-lease-ttl DURATION .*\n.*\(default 15s\)/);
});
