// Kubernetes' apps names are written once, in @mk/proto/api: a component that spells out the revision
// annotation or the pod-template-hash label itself could drift from the controller that writes them.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { REPO } from "../harness/mkctl.js";

const LITERALS = ["deployment.kubernetes.io/revision", "pod-template-hash"];
const ROOTS = ["apiserver/src", "controller/src", "kubelet/src", "kubectl/src", "scheduler/src", "proto/src"];
/** Where the names are defined (and generated code, which never names them). */
const EXEMPT = ["proto/src/api", "proto/src/gen"];

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (/\.[cm]?ts$/.test(e.name)) out.push(p);
  }
  return out;
}

/** `file:line: literal` for every occurrence outside the exempt folders. */
function literalUses(repo: string): string[] {
  const hits: string[] = [];
  for (const root of ROOTS) {
    for (const file of sources(join(repo, root))) {
      const rel = relative(repo, file);
      if (EXEMPT.some((x) => rel === x || rel.startsWith(`${x}/`))) continue;
      readFileSync(file, "utf8")
        .split("\n")
        .forEach((line, i) => {
          for (const lit of LITERALS) if (line.includes(lit)) hits.push(`${rel}:${i + 1}: ${lit}`);
        });
    }
  }
  return hits;
}

test("no product source outside proto/src/api spells the revision annotation or the pod-template-hash label", () => {
  assert.deepEqual(literalUses(REPO), []);
});

test("the scan covers every component and finds the names where they are defined", () => {
  const defined = readFileSync(join(REPO, "proto/src/api/apps/labels.ts"), "utf8");
  for (const lit of LITERALS) assert.ok(defined.includes(lit), `${lit} is defined in proto/src/api/apps/labels.ts`);
  for (const root of ROOTS) assert.ok(sources(join(REPO, root)).length > 0, `${root} has sources to scan`);
});
