// The cluster's image registry: Debian's docker-registry (the CNCF distribution), serving plain HTTP
// on the cluster's host at the API port + 6, its blobs in the cluster's data directory. A local
// cluster's nodes share the host's engine, which treats registries on 127.0.0.0/8 as insecure
// (plain HTTP) already; a lab's registry listens on the bridge, and each lab node's dockerd is told
// to trust it (lab/docker.ts). Nodes on other hosts trust it through `mkctl cluster join --registry`.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import type { ClusterPaths } from "./paths.js";
import type { ClusterSettings, ComponentSpec } from "./settings.js";

export const REGISTRY_COMPONENT = "registry";

/** The registry's port: the settings' own, else (settings saved before it existed) the API port + 6. */
export function registryPort(s: ClusterSettings): number {
  return s.registryPort ?? s.apiPort + 6;
}

/** HOST:PORT, as image names start (`docker tag mk/web:v1 HOST:PORT/web:v1`). */
export function registryAddress(s: ClusterSettings): string {
  return `${s.host}:${registryPort(s)}`;
}

/** docker-registry's path: on PATH, or undefined when the package is not installed. */
export function registryBinary(): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const bin = join(dir, "docker-registry");
    if (dir && existsSync(bin)) return bin;
  }
  return undefined;
}

/** The registry's config.yml: storage under dir, HTTP on addr, no debug server. */
export function registryConfig(addr: string, dir: string): string {
  return [
    "version: 0.1",
    "log:",
    "  level: info",
    "  formatter: text",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${join(dir, "storage")}`,
    // Deleting images by digest (`DELETE /v2/<name>/manifests/<digest>`) is how a user frees space.
    "  delete:",
    "    enabled: true",
    "http:",
    `  addr: ${addr}`,
    "",
  ].join("\n");
}

/** The registry serving on addr (HOST:PORT) as a supervised component, or undefined without docker-registry (deploy/setup.sh installs it). */
export function registryComponent(addr: string, paths: ClusterPaths): ComponentSpec | undefined {
  const bin = registryBinary();
  if (!bin) return undefined;
  const dir = join(paths.data, "registry");
  const config = join(dir, "config.yml");
  return {
    name: REGISTRY_COMPONENT,
    command: bin,
    args: ["serve", config],
    address: addr,
    // The API version check: 200 with `{}` once it serves (401 would mean auth, which it has none of).
    healthUrl: `http://${addr}/v2/`,
    logFile: join(paths.logs, "registry.log"),
    // Written before every start, so a changed address (another --api-port) takes effect.
    prepare: async () => {
      mkdirSync(join(dir, "storage"), { recursive: true });
      writeFileSync(config, registryConfig(addr, dir));
    },
  };
}
