import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { DaemonConfigError, isLoopbackRegistry, parseRegistry, trustRegistry, withInsecureRegistry } from "@mk/kubectl/cluster/docker-daemon-config.js";

const F = "/etc/docker/daemon.json";

test("daemon.json: the registry is appended to insecure-registries, every other key kept", () => {
  const before = JSON.stringify({ "log-driver": "journald", "insecure-registries": ["10.0.0.9:5000"], "default-ulimits": { nofile: { Soft: 1024, Hard: 2048 } } });
  const out = withInsecureRegistry(F, before, "10.0.0.5:6449");
  assert.equal(out.changed, true);
  assert.deepEqual(JSON.parse(out.text), {
    "log-driver": "journald",
    "insecure-registries": ["10.0.0.9:5000", "10.0.0.5:6449"],
    "default-ulimits": { nofile: { Soft: 1024, Hard: 2048 } },
  });
  // Idempotent: the merged text merges to itself, unchanged.
  const again = withInsecureRegistry(F, out.text, "10.0.0.5:6449");
  assert.equal(again.changed, false);
  assert.equal(again.text, out.text);
});

test("daemon.json: missing, empty and list-less files start a list", () => {
  for (const text of [undefined, "", "  \n", "{}", '{"debug": true}']) {
    const out = withInsecureRegistry(F, text, "reg.lab:6449");
    assert.equal(out.changed, true);
    assert.deepEqual((JSON.parse(out.text) as Record<string, unknown>)["insecure-registries"], ["reg.lab:6449"], String(text));
  }
});

test("daemon.json: a file that is not a JSON object, or a list that is not strings, is an error naming the file", () => {
  for (const text of ["{not json", "[]", '"x"', '{"insecure-registries": "10.0.0.1:5000"}', '{"insecure-registries": [5000]}']) {
    assert.throws(
      () => withInsecureRegistry(F, text, "10.0.0.5:6449"),
      (err: unknown) => err instanceof DaemonConfigError && err.file === F && err.message.startsWith(`${F}: `),
      text,
    );
  }
});

test("--registry: HOST:PORT checked, loopback recognised", () => {
  assert.equal(parseRegistry("10.0.0.5:6449"), "10.0.0.5:6449");
  assert.equal(parseRegistry("registry.lab:5000"), "registry.lab:5000");
  for (const bad of ["10.0.0.5", "10.0.0.5:0", "10.0.0.5:70000", "http://10.0.0.5:6449", "10.0.0.5:6449/x", ":6449", "a b:1"]) {
    assert.throws(() => parseRegistry(bad), /^Error: --registry /, bad);
  }
  assert.equal(isLoopbackRegistry("127.0.0.1:6449"), true);
  assert.equal(isLoopbackRegistry("127.3.2.1:6449"), true);
  assert.equal(isLoopbackRegistry("localhost:6449"), true);
  assert.equal(isLoopbackRegistry("10.213.0.1:6449"), false);
  assert.equal(isLoopbackRegistry("127.example.com:6449"), false);
});

test("trustRegistry: writes the merged file (keeping its mode), signals the dockerd in the pidfile once; loopback and repeats change nothing", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "mk-daemon-json-"));
  // A stand-in for dockerd: a process that counts SIGHUPs and prints the count when it ends.
  const child = spawn(process.execPath, ["-e", "let n=0;process.on('SIGHUP',()=>n++);process.on('SIGTERM',()=>{process.stdout.write(String(n));process.exit(0)});setInterval(()=>{},1000);process.stdout.write('ready\\n')"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  t.after(() => {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });
  let out = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (d: string) => {
    out += d;
  });
  await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
  const file = join(dir, "daemon.json");
  const pidfile = join(dir, "docker.pid");
  writeFileSync(file, '{"debug": true}\n');
  chmodSync(file, 0o600);
  writeFileSync(pidfile, `${child.pid}\n`);

  const loop = trustRegistry("127.0.0.1:6449", file, pidfile);
  assert.equal(loop.changed, false);
  assert.equal(readFileSync(file, "utf8"), '{"debug": true}\n');

  const first = trustRegistry("10.0.0.5:6449", file, pidfile);
  assert.deepEqual([first.changed, first.reloaded], [true, true]);
  assert.match(first.message, new RegExp(`added to ${file}'s insecure-registries, dockerd \\(pid ${child.pid}\\) reloaded`));
  assert.deepEqual(JSON.parse(readFileSync(file, "utf8")), { debug: true, "insecure-registries": ["10.0.0.5:6449"] });
  assert.equal(statSync(file).mode & 0o777, 0o600);

  const second = trustRegistry("10.0.0.5:6449", file, pidfile);
  assert.deepEqual([second.changed, second.reloaded], [false, false]);

  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  await exited;
  assert.equal(out, "ready\n1", "exactly one SIGHUP");

  // No pidfile: the file is still merged, and the message says to reload by hand.
  rmSync(pidfile);
  const third = trustRegistry("10.0.0.6:6449", file, pidfile);
  assert.deepEqual([third.changed, third.reloaded], [true, false]);
  assert.match(third.message, /reload it yourself/);
  assert.equal(existsSync(`${file}.mk-${process.pid}.tmp`), false);
});
