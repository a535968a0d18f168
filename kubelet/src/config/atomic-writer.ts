// Kubernetes' AtomicWriter (pkg/volume/util/atomic_writer.go): a volume's files change all at once.
// The directory holds
//   ..2026_12_04_19_20_00.123456/   the payload of one version (a fresh directory per change)
//   ..data -> ..2026_12_04_19_20_00.123456
//   key    -> ..data/key            one user-visible symlink per top-level path
// A change writes a new timestamped directory, points `..data_tmp` at it and renames that over
// `..data` (rename(2) is atomic), then fixes the user-visible links and removes the old directory.
// So a reader that resolves `..data` once (`cd -P dir/..data`) reads every key of one version,
// never one old and one new; and nothing is written when the payload did not change.
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rename, rm, stat, symlink, unlink, writeFile, chmod } from "node:fs/promises";
import { dirname, join } from "node:path";

export interface FileProjection {
  data: Buffer;
  /** File mode bits (0o644, 0o400 …). */
  mode: number;
}

/** Relative path → contents. */
export type Payload = Map<string, FileProjection>;

const DATA_DIR = "..data";
const DATA_TMP = "..data_tmp";

/** Why a payload path is not allowed (absolute, `..` elements, a leading `..`), or undefined. */
export function payloadPathError(path: string): string | undefined {
  if (path === "") return "must not be empty";
  if (path.startsWith("/")) return "must be a relative path";
  const parts = path.split("/");
  if (parts.includes("..")) return "must not contain '..'";
  if (parts[0]?.startsWith("..")) return "must not start with '..'";
  if (parts.some((p) => p === "" || p === ".")) return "must not contain empty or '.' elements";
  return undefined;
}

function timestampDirPrefix(now: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `..${now.getUTCFullYear()}_${p(now.getUTCMonth() + 1)}_${p(now.getUTCDate())}_${p(now.getUTCHours())}_${p(now.getUTCMinutes())}_${p(now.getUTCSeconds())}.`;
}

async function currentDataDir(dir: string): Promise<string | undefined> {
  try {
    return await readlink(join(dir, DATA_DIR));
  } catch {
    // No `..data` yet: the volume was never written.
    return undefined;
  }
}

/** Whether the directory holds exactly this payload, modes included. */
async function holds(dir: string, payload: Payload): Promise<boolean> {
  const files: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const e of await readdir(join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(r);
      else files.push(r);
    }
  };
  await walk("");
  if (files.length !== payload.size) return false;
  for (const f of files) {
    const want = payload.get(f);
    if (!want) return false;
    const st = await stat(join(dir, f));
    if ((st.mode & 0o7777) !== want.mode) return false;
    if (!(await readFile(join(dir, f))).equals(want.data)) return false;
  }
  return true;
}

/**
 * Writes the payload into dir atomically; returns true when something changed. Throws on a bad
 * path (the caller validated paths first; this is the last guard before the file system).
 */
export async function writeAtomically(dir: string, payload: Payload, now = new Date()): Promise<boolean> {
  for (const p of payload.keys()) {
    const e = payloadPathError(p);
    if (e) throw new Error(`invalid path ${JSON.stringify(p)}: ${e}`);
  }
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const old = await currentDataDir(dir);
  if (old && (await holds(join(dir, old), payload))) return false;

  const tsDir = await mkdtemp(join(dir, timestampDirPrefix(now)));
  for (const [rel, f] of payload) {
    const target = join(tsDir, rel);
    await mkdir(dirname(target), { recursive: true, mode: 0o755 });
    await writeFile(target, f.data, { mode: f.mode });
    // writeFile's mode is filtered by the umask: set it exactly.
    await chmod(target, f.mode);
  }
  await chmod(tsDir, 0o755);
  const tsName = tsDir.slice(dir.length + 1);
  await rm(join(dir, DATA_TMP), { force: true });
  await symlink(tsName, join(dir, DATA_TMP));
  await rename(join(dir, DATA_TMP), join(dir, DATA_DIR));

  const top = new Set([...payload.keys()].map((p) => p.split("/")[0] ?? p));
  for (const name of top) {
    const link = join(dir, name);
    const st = await lstat(link).catch(() => undefined);
    if (st?.isSymbolicLink()) continue;
    if (st) await rm(link, { recursive: true, force: true });
    await symlink(join(DATA_DIR, name), link);
  }
  for (const name of await readdir(dir)) {
    if (name.startsWith("..") || top.has(name)) continue;
    await unlink(join(dir, name)).catch(() => undefined); // a link of a key gone; already gone is fine
  }
  if (old && old !== tsName) await rm(join(dir, old), { recursive: true, force: true });
  return true;
}
