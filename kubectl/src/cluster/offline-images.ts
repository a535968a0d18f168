// The offline images every node needs (`mkctl cluster join`): the kubelet's pause image and the
// samples `--image=mk/web:v1` names. A node missing any gets them built from deploy/images/build.sh
// (FROM scratch with Debian's static busybox; nothing is pulled).
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { run } from "./lab/exec.js";

export const NODE_IMAGES = ["mk/pause:1", "mk/busybox:1", "mk/web:v1", "mk/web:v2", "mk/backend:v1", "mk/proxy:v1"] as const;

/** deploy/images/build.sh beside this build (kubectl/dist/cluster → <repo>/deploy/images). */
export function buildScript(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "deploy", "images", "build.sh");
}

/** Those of images the engine (docker CLI's, DOCKER_HOST) lacks. */
export async function missingImages(images: readonly string[]): Promise<string[]> {
  const have = await Promise.all(images.map(async (i) => (await run("docker", ["image", "inspect", "--format", "{{.Id}}", i])).code === 0));
  return images.filter((_, k) => !have[k]);
}

/**
 * Makes sure the engine has images: builds the missing ones with build.sh. Returns what was
 * missing (empty when nothing was). An image still missing afterwards is an error with build.sh's output.
 */
export async function ensureImages(images: readonly string[] = NODE_IMAGES, script = buildScript()): Promise<string[]> {
  const missing = await missingImages(images);
  if (missing.length === 0) return [];
  if (!existsSync(script)) throw new Error(`images ${missing.join(", ")} are missing and ${script} is not there to build them: run deploy/images/build.sh from mk's source`);
  // build.sh also builds mk/etcd:3.4, which needs etcd's binary; a node without it fails there,
  // after the images a node needs, so the outcome is judged by what is present afterwards.
  const r = await run("bash", [script], 600_000);
  const still = await missingImages(images);
  if (still.length > 0) throw new Error(`${script} did not build ${still.join(", ")} (exit ${r.code}):\n${r.stderr.trim()}`);
  return missing;
}
