// mkctl edit beside kubectl 1.32 on the same API server (kubectl over HTTP, mkctl over gRPC), with
// EDITOR set to small scripts: one that changes the replicas (the Deployment changes, kubectl's
// `deployment.apps/web edited`), one that saves nothing (`Edit cancelled, no changes made.`), one that
// writes an invalid file or an invalid value (the file reopened with the reason at the top; saved
// unchanged, exit 1 with kubectl's message, the file kept, nothing written: the resourceVersion stays).
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type KubectlEnv, type Run, startKubectlEnv, tempDir, WEB_NO_REPLICAS, writeTemp } from "./mkctl.js";

let env: KubectlEnv;
const dir = tempDir("mk-edit-");

before(async () => {
  env = await startKubectlEnv();
});
after(async () => {
  await env?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * An editor script: the first time it sees a file (no reason at its top) it runs `first`; a reopened
 * file (kubectl's reasons start with "# * " or "syntax error") is copied to $SEEN and handled by `again`
 * (default: saved as it is). $1 is the file, as kubectl's editor is called.
 */
function editor(name: string, first: string, again = ":"): string {
  const path = writeTemp(
    dir,
    name,
    `#!/bin/sh
set -e
if grep -q -e '^# \\* ' -e 'syntax error' "$1"; then cp "$1" "$SEEN"; ${again}; exit 0; fi
${first}
`,
  );
  chmodSync(path, 0o755);
  return path;
}

type Tool = "mkctl" | "kubectl";

/** Both tools' temp files go here (TMPDIR), removed with the test's directory: kubectl leaves some behind. */
const tmp = join(dir, "tmp");
mkdirSync(tmp);

function run(tool: Tool, args: string[], extra: NodeJS.ProcessEnv): Promise<Run> {
  // KUBE_EDITOR would win over EDITOR: never inherited from the test's own environment.
  const e = { KUBE_EDITOR: "", TMPDIR: tmp, ...extra };
  return tool === "kubectl" ? env.kubectl(args, e) : env.mkctlWith(args, e);
}

/** The temp file's random part masked, and the tool's name, so both tools' lines compare. */
function masked(s: string): string {
  return s.replaceAll(tmp, "/TMP").replace(/(mkctl|kubectl[.\d]*)-edit-\d+\.(yaml|json)/g, "TOOL-edit-N.$2").replace(/`(mkctl|kubectl[.\d]*) replace/g, "`TOOL replace");
}

/** The file paths a message names (kubectl's "A copy of your changes has been stored to …"). */
function storedPaths(stderr: string): string[] {
  return [...stderr.matchAll(/stored to "([^"]+)"/g)].map((m) => m[1] ?? "");
}

async function resourceVersion(name: string): Promise<string> {
  return (await env.cs.deployments.get(name, "default")).metadata?.resourceVersion ?? "";
}

async function deploy(name: string): Promise<void> {
  const file = writeTemp(dir, `${name}.yaml`, WEB_NO_REPLICAS.replace(/web/g, name).replace(`mk/${name}:v1`, "mk/web:v1").replace("spec:\n", "spec:\n  replicas: 1\n"));
  assert.equal((await env.mkctl(["apply", "-f", file])).stdout, `deployment.apps/${name} created\n`);
}

test("an EDITOR that changes the replicas: the Deployment changes, both print `edited`", async () => {
  await deploy("web");
  const setReplicas = editor("replicas.sh", `sed -i "s/^  replicas: .*/  replicas: $REPLICAS/" "$1"`);
  for (const [tool, replicas] of [["mkctl", 3], ["kubectl", 4]] as const) {
    const r = await run(tool, ["edit", "deployment", "web"], { EDITOR: setReplicas, REPLICAS: String(replicas) });
    assert.deepEqual(r, { code: 0, stdout: "deployment.apps/web edited\n", stderr: "" }, tool);
    assert.equal((await env.cs.deployments.get("web", "default")).spec?.replicas, replicas, tool);
  }
  // KUBE_EDITOR wins over EDITOR, as in kubectl.
  const r = await run("mkctl", ["edit", "deploy/web", "-n", "default"], { KUBE_EDITOR: setReplicas, EDITOR: "/bin/false", REPLICAS: "2" });
  assert.equal(r.stdout, "deployment.apps/web edited\n", r.stderr);
  assert.equal((await env.cs.deployments.get("web", "default")).spec?.replicas, 2);
  // -o json: the same edit in a JSON file; the edited object printed in JSON (kubectl's -o is also its printer).
  const json = editor("replicas-json.sh", `sed -i "s/\\"replicas\\": [0-9]*/\\"replicas\\": $REPLICAS/" "$1"`);
  const printed: string[] = [];
  for (const [tool, replicas] of [["mkctl", 5], ["kubectl", 6]] as const) {
    const j = await run(tool, ["edit", "deploy/web", "-o", "json"], { EDITOR: json, REPLICAS: String(replicas) });
    assert.equal(j.code, 0, `${tool}: ${j.stderr}`);
    assert.equal((JSON.parse(j.stdout) as { spec: { replicas: number } }).spec.replicas, replicas, tool);
    assert.equal((await env.cs.deployments.get("web", "default")).spec?.replicas, replicas, tool);
    printed.push(j.stdout.replace(/"(resourceVersion|replicas|generation)": "?\d+"?/g, '"$1": N'));
  }
  assert.equal(printed[0], printed[1]);
});

test("a file saved unchanged: `Edit cancelled, no changes made.`, nothing written; the header is kubectl's", async () => {
  await deploy("same");
  const before = await resourceVersion("same");
  const copy = editor("copy.sh", `cp "$1" "$SEEN"`);
  const files: Record<Tool, string> = { mkctl: "", kubectl: "" };
  for (const tool of ["mkctl", "kubectl"] as const) {
    const seen = join(dir, `same-${tool}.yaml`);
    const r = await run(tool, ["edit", "deploy/same"], { EDITOR: copy, SEEN: seen });
    assert.deepEqual(r, { code: 0, stdout: "", stderr: "Edit cancelled, no changes made.\n" }, tool);
    files[tool] = readFileSync(seen, "utf8");
  }
  assert.equal(await resourceVersion("same"), before);
  // The whole file: kubectl's header, then the object as `get -o yaml` prints it.
  assert.equal(files.mkctl, files.kubectl);
  assert.match(files.mkctl, /^# Please edit the object below\. Lines beginning with a '#' will be ignored,\n# and an empty file will abort the edit\. If an error occurs while saving this file will be\n# reopened with the relevant failures\.\n#\napiVersion: apps\/v1\n/);
});

test("an invalid value: the file reopens with the server's reason; saved unchanged, exit 1, the copy kept, nothing written", async () => {
  await deploy("bad");
  const before = await resourceVersion("bad");
  const negative = editor("negative.sh", `sed -i "s/^  replicas: .*/  replicas: -1/" "$1"`);
  const out: Partial<Record<Tool, { r: Run; reopened: string }>> = {};
  for (const tool of ["mkctl", "kubectl"] as const) {
    const seen = join(dir, `bad-${tool}.yaml`);
    const r = await run(tool, ["edit", "deploy/bad"], { EDITOR: negative, SEEN: seen });
    assert.equal(r.code, 1, `${tool}: ${r.stderr}`);
    const [kept = ""] = storedPaths(r.stderr);
    assert.ok(existsSync(kept), `${tool} keeps the file: ${r.stderr}`);
    assert.match(readFileSync(kept, "utf8"), /replicas: -1/);
    rmSync(kept);
    out[tool] = { r, reopened: readFileSync(seen, "utf8") };
  }
  assert.equal(await resourceVersion("bad"), before);
  // mkctl leaves no temp file of its own behind once the kept copy is removed.
  assert.deepEqual(readdirSync(tmp).filter((f) => f.startsWith("mkctl-")), []);
  const m = out.mkctl;
  assert.ok(m);
  assert.equal(
    masked(m.r.stderr),
    'error: deployments.apps "bad" is invalid\nA copy of your changes has been stored to "/TMP/TOOL-edit-N.yaml"\nerror: Edit cancelled, no valid changes were saved.\n',
  );
  assert.match(m.reopened, /\n#\n# deployments\.apps "bad" was not valid:\n# \* spec\.replicas: Invalid value: -1: must be greater than or equal to 0\n#\napiVersion: apps\/v1\n/);
  assert.equal(masked(m.r.stderr), masked(out.kubectl?.r.stderr ?? ""));
  // The reopened files, line for line (the object is as it was: the same resourceVersion, the same status).
  assert.equal(m.reopened, out.kubectl?.reopened);
});

test("an unknown field: refused by the server, the file reopened with the field named; nothing written", async () => {
  await deploy("odd");
  const before = await resourceVersion("odd");
  const unknown = editor("unknown.sh", `sed -i "s/^  replicas: .*/  replicas: 1\\n  replica: 3/" "$1"`);
  const out: Partial<Record<Tool, { r: Run; reopened: string }>> = {};
  for (const tool of ["mkctl", "kubectl"] as const) {
    const seen = join(dir, `odd-${tool}.yaml`);
    const r = await run(tool, ["edit", "deploy/odd"], { EDITOR: unknown, SEEN: seen });
    assert.equal(r.code, 1, `${tool}: ${r.stderr}`);
    for (const p of storedPaths(r.stderr)) rmSync(p, { force: true });
    out[tool] = { r, reopened: existsSync(seen) ? readFileSync(seen, "utf8") : "" };
  }
  assert.equal(await resourceVersion("odd"), before);
  assert.match(out.mkctl?.reopened ?? "", /# deployments\.apps "odd" was not valid:\n# \* spec\.replica: unknown field/);
  assert.equal(masked(out.mkctl?.r.stderr ?? ""), masked(out.kubectl?.r.stderr ?? ""));
  // One known difference: the HTTP edge words the cause as "Unknown: did you mean…" (status.ts's
  // causes name the error type), mkctl as the API's formatFieldError, "unknown field: did you mean…".
  const cause = (s: string) => s.replace(/^# \* spec\.replica: .*$/m, "# * spec.replica: CAUSE");
  assert.equal(cause(out.mkctl?.reopened ?? ""), cause(out.kubectl?.reopened ?? ""));
});

test("an invalid value fixed in the reopened file is saved", async () => {
  await deploy("fixed");
  const fix = editor("fix.sh", `sed -i "s/^  replicas: .*/  replicas: -1/" "$1"`, `sed -i "s/^  replicas: -1/  replicas: 2/" "$1"`);
  const r = await run("mkctl", ["edit", "deploy/fixed"], { EDITOR: fix, SEEN: join(dir, "fixed.yaml") });
  assert.deepEqual(r, { code: 0, stdout: "deployment.apps/fixed edited\n", stderr: 'error: deployments.apps "fixed" is invalid\n' });
  assert.equal((await env.cs.deployments.get("fixed", "default")).spec?.replicas, 2);
});

test("a file that is not YAML: reopened with the syntax error; saved unchanged, exit 1, nothing written", async () => {
  await deploy("broken");
  const before = await resourceVersion("broken");
  const garble = editor("garble.sh", `printf 'spec: [unclosed\\n' >> "$1"`);
  const out: Partial<Record<Tool, { r: Run; reopened: string }>> = {};
  for (const tool of ["mkctl", "kubectl"] as const) {
    const seen = join(dir, `broken-${tool}.yaml`);
    const r = await run(tool, ["edit", "deploy/broken"], { EDITOR: garble, SEEN: seen });
    assert.equal(r.code, 1, `${tool}: ${r.stderr}`);
    for (const p of storedPaths(r.stderr)) rmSync(p, { force: true });
    out[tool] = { r, reopened: readFileSync(seen, "utf8") };
  }
  assert.equal(await resourceVersion("broken"), before);
  assert.equal(masked(out.mkctl?.r.stderr ?? ""), 'error: deployments.apps "broken" is invalid\nA copy of your changes has been stored to "/TMP/TOOL-edit-N.yaml"\nerror: Edit cancelled, no valid changes were saved.\n');
  assert.equal(masked(out.mkctl?.r.stderr ?? ""), masked(out.kubectl?.r.stderr ?? ""));
  // kubectl's reason, to the line of the YAML reader's complaint; the complaint's own words differ
  // (Go's yaml.v2: "did not find expected ',' or ']'"; eemeli/yaml: "Map keys must be unique").
  const reason = /\n#\n# deployments\.apps "broken" was not valid:\n# \* <nil>: Invalid value: "The edited file failed validation": yaml: line (\d+): .+\n#\napiVersion: apps\/v1\n/;
  for (const tool of ["mkctl", "kubectl"] as const) assert.match(out[tool]?.reopened ?? "", reason, tool);
  const withoutComplaint = (s: string) => s.replace(/yaml: line \d+: .+/, "yaml: line N: …");
  assert.equal(withoutComplaint(out.mkctl?.reopened ?? ""), withoutComplaint(out.kubectl?.reopened ?? ""));
});

test("a type without names: every object of the namespace in one List; each changed one edited, the others skipped", async () => {
  for (const name of ["one", "two", "three"]) {
    const file = writeTemp(dir, `many-${name}.yaml`, WEB_NO_REPLICAS.replace(/web/g, name).replace(`mk/${name}:v1`, "mk/web:v1").replace("  labels:\n", "  namespace: many\n  labels:\n"));
    if (name === "one") assert.equal((await env.mkctl(["create", "namespace", "many"])).code, 0);
    assert.equal((await env.mkctl(["apply", "-f", file])).code, 0);
  }
  // Items sit 4 spaces in: the replicas of two and three change, one's stays.
  const some = editor("some.sh", `sed -i -e "/^    name: two$/,/^    replicas:/ s/^    replicas: .*/    replicas: $REPLICAS/" -e "/^    name: three$/,/^    replicas:/ s/^    replicas: .*/    replicas: $REPLICAS/" "$1"`);
  for (const [tool, replicas] of [["mkctl", 3], ["kubectl", 4]] as const) {
    const r = await run(tool, ["edit", "deployments", "-n", "many"], { EDITOR: some, REPLICAS: String(replicas) });
    assert.deepEqual(r, { code: 0, stdout: "deployment.apps/one skipped\ndeployment.apps/three edited\ndeployment.apps/two edited\n", stderr: "" }, tool);
    for (const name of ["two", "three"]) assert.equal((await env.cs.deployments.get(name, "many")).spec?.replicas, replicas, `${tool} ${name}`);
    assert.equal((await env.cs.deployments.get("one", "many")).spec?.replicas, 1, tool);
  }
});

test("bad arguments, a missing object and a missing editor are answered as kubectl does", async () => {
  for (const tool of ["mkctl", "kubectl"] as const) {
    const missing = await run(tool, ["edit", "deploy/nope"], { EDITOR: "true" });
    assert.deepEqual(missing, { code: 1, stdout: "", stderr: 'Error from server (NotFound): deployments.apps "nope" not found\n' }, tool);
  }
  const none = await run("mkctl", ["edit"], { EDITOR: "true" });
  assert.equal(none.code, 1);
  assert.match(none.stderr, /^error: you must provide one or more resources by argument or filename\.\n/);
  assert.equal((await run("mkctl", ["edit", "deploy/web", "-o", "xml"], { EDITOR: "true" })).stderr, 'error: unable to match a printer suitable for the output format "xml", allowed formats are: json,yaml\n');
  const noEditor = await run("mkctl", ["edit", "deploy/web"], { EDITOR: "/nonexistent/editor" });
  assert.deepEqual(noEditor, { code: 1, stdout: "", stderr: 'error: unable to launch the editor "/nonexistent/editor"\n' });
});
