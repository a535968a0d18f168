// mk-apiserver's --etcd-member-sync: a bad duration is refused naming the flag, before anything starts.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { dirname, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

// test/dist/unit → the repository's apiserver build.
const MAIN = resolve(dirname(fileURLToPath(import.meta.url)), "../../../apiserver/dist/main.js");

test("--etcd-member-sync with a bad duration exits 1 naming the flag; --help lists it", () => {
  // An etcd endpoint nobody listens on: the flag must be refused before any connection is tried.
  const r = spawnSync(process.execPath, [MAIN, "--etcd-member-sync", "soon", "--etcd-servers", "http://127.0.0.1:9", "--http-listen", ""], { encoding: "utf8", timeout: 30_000 });
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stderr, 'mk-apiserver: --etcd-member-sync: invalid duration "soon": use e.g. 1h, 30m or 90s\n');
  const help = spawnSync(process.execPath, [MAIN, "--help"], { encoding: "utf8", timeout: 30_000 });
  assert.match(help.stdout, /--etcd-member-sync DURATION .*\n.*default 30s; 0: off/);
});
