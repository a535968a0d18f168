// Links each workspace's `bin` entries into node_modules/.bin and makes them executable, as npm would
// have at install time had dist/ existed then. Quiet and idempotent: only a missing or wrong link is
// (re)made. Run by deploy/setup.sh after the build.
import { chmodSync, existsSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, unlinkSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const binDir = join(root, "node_modules", ".bin");
const readJson = (p) => JSON.parse(readFileSync(p, "utf8"));

mkdirSync(binDir, { recursive: true });
for (const ws of readJson(join(root, "package.json")).workspaces ?? []) {
  const pkg = readJson(join(root, ws, "package.json"));
  const bins = typeof pkg.bin === "string" ? { [pkg.name.split("/").pop()]: pkg.bin } : (pkg.bin ?? {});
  for (const [name, file] of Object.entries(bins)) {
    const target = join(root, ws, file);
    if (!existsSync(target)) continue;
    chmodSync(target, 0o755);
    // Through node_modules/@scope/name, as npm links it.
    const want = relative(binDir, join(root, "node_modules", pkg.name, file));
    const link = join(binDir, name);
    let have;
    try {
      have = readlinkSync(link);
    } catch {
      have = undefined;
    }
    if (have === want) continue;
    if (have !== undefined || existsSync(link)) unlinkSync(link);
    symlinkSync(want, link);
  }
}
