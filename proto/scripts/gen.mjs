// Generates src/gen from mk/v1/*.proto with buf + ts-proto (local plugin, no remote dependency),
// and writes src/gen/descriptor.json, which the manifest schema check reads. Skips work when the
// generated files are newer than every .proto file.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const here = dirname(dirname(fileURLToPath(import.meta.url)));
const protoDir = join(here, "mk", "v1");
const genDir = join(here, "src", "gen");
const stamp = join(genDir, ".stamp");
const newestProto = Math.max(
  ...readdirSync(protoDir).map((f) => statSync(join(protoDir, f)).mtimeMs),
  statSync(join(here, "buf.gen.yaml")).mtimeMs,
);
if (existsSync(stamp) && statSync(stamp).mtimeMs >= newestProto && !process.argv.includes("--force")) {
  process.exit(0);
}
const require = createRequire(import.meta.url);
const bufBin = require.resolve("@bufbuild/buf/bin/buf");
// ts-proto's plugin must be reachable where buf.gen.yaml says (workspace installs hoist it).
const pluginLocal = join(here, "node_modules", ".bin", "protoc-gen-ts_proto");
if (!existsSync(pluginLocal)) {
  mkdirSync(dirname(pluginLocal), { recursive: true });
  const hoisted = join(here, "..", "node_modules", ".bin", "protoc-gen-ts_proto");
  writeFileSync(pluginLocal, `#!/bin/sh\nexec "${hoisted}" "$@"\n`, { mode: 0o755 });
}
rmSync(genDir, { recursive: true, force: true });
mkdirSync(genDir, { recursive: true });
execFileSync(bufBin, ["generate"], { cwd: here, stdio: "inherit" });
execFileSync(bufBin, ["build", "-o", join(genDir, "descriptor.json")], { cwd: here, stdio: "inherit" });
// The descriptor is read at run time from dist/, so copy it beside the compiled output too.
const distGen = join(here, "dist", "gen");
mkdirSync(distGen, { recursive: true });
writeFileSync(join(distGen, "descriptor.json"), readFileSync(join(genDir, "descriptor.json")));
writeFileSync(stamp, new Date().toISOString());
