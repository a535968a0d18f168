// What `mkctl cluster join` makes sure of on the node's Docker engine before its kubelet runs: it
// trusts the cluster's registry (docker-daemon-config.ts) and has the offline images (offline-images.ts).
import { DOCKER_DAEMON_JSON, DOCKERD_PIDFILE, trustRegistry, waitEngineTrusts } from "./docker-daemon-config.js";
import { ensureImages, NODE_IMAGES } from "./offline-images.js";

export interface NodeEngineOptions {
  /** The cluster registry's HOST:PORT (checked with parseRegistry). */
  registry?: string;
  daemonConfig?: string;
  dockerdPidfile?: string;
}

export async function prepareNodeEngine(o: NodeEngineOptions, say: (line: string) => void): Promise<void> {
  if (o.registry !== undefined) {
    const r = trustRegistry(o.registry, o.daemonConfig ?? DOCKER_DAEMON_JSON, o.dockerdPidfile ?? DOCKERD_PIDFILE);
    say(r.message);
    if (r.changed && r.reloaded) await waitEngineTrusts(o.registry);
  }
  const t0 = performance.now();
  const built = await ensureImages();
  say(
    built.length > 0
      ? `images: built ${built.join(", ")} with deploy/images/build.sh (${((performance.now() - t0) / 1000).toFixed(1)}s)`
      : `images: ${NODE_IMAGES.join(", ")} present`,
  );
}
