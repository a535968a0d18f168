// Generates src/storage/gen from proto/etcd/*.proto (etcd's Watch service) with buf + ts-proto, as
// @mk/proto's own generation does. Skips work when the generated files are newer than the .proto files.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(dirname(fileURLToPath(import.meta.url)));
const protoRoot = join(here, "proto");
const protoDir = join(protoRoot, "etcd");
const genDir = join(here, "src", "storage", "gen");
const stamp = join(genDir, ".stamp");
const newestProto = Math.max(
  ...readdirSync(protoDir).map((f) => statSync(join(protoDir, f)).mtimeMs),
  statSync(join(protoRoot, "buf.gen.yaml")).mtimeMs,
);
if (existsSync(stamp) && statSync(stamp).mtimeMs >= newestProto && !process.argv.includes("--force")) {
  process.exit(0);
}
const require = createRequire(import.meta.url);
const bufBin = require.resolve("@bufbuild/buf/bin/buf");
rmSync(genDir, { recursive: true, force: true });
mkdirSync(genDir, { recursive: true });
execFileSync(bufBin, ["generate"], { cwd: protoRoot, stdio: "inherit" });
writeFileSync(stamp, new Date().toISOString());
