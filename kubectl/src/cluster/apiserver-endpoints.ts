// Which API servers a cluster has, the Kubernetes way: every API server publishes its advertise
// address and port as an endpoint of the `kubernetes` Service in `default` (kube-apiserver's
// endpoint reconciler; apiserver/src/registry/self-service.ts), so a balancer that watches that
// EndpointSlice learns of a control plane joined later, as k3s's agent load balancer does.
//
// `mkctl cluster balance --watch-apiservers` watches it through its own listen address (so through
// whichever API server is alive) and rewrites its --backends-file with the addresses found, one
// bare HOST:PORT a line (checked on the TLS port's /readyz, balancer.ts). The file is what the
// balancer reads, and what it starts from after a reboot: a machine whose first API server is gone
// still knows the others. An API server that is gone leaves the Service when its endpoint lease
// expires (apiserver/src/registry/endpoint-leases.ts), and so the file; until then the balancer's
// check keeps it unused.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { connect, type TlsOptions } from "@mk/proto/client";
import { type Logger, newInformer } from "@mk/proto/informer";

export const KUBERNETES_SERVICE_NAMESPACE = "default";
export const KUBERNETES_SERVICE_NAME = "kubernetes";

/** What apiServerAddresses reads of an EndpointSlice (the informer's cache hands out read-only objects). */
export interface SliceAddresses {
  readonly endpoints: readonly { readonly addresses: readonly string[] }[];
  readonly ports: readonly { readonly name?: string | undefined; readonly port?: number | undefined }[];
}

/** HOST:PORT of every endpoint of the `kubernetes` EndpointSlice (its https port), sorted, no duplicates. */
export function apiServerAddresses(slice: SliceAddresses): string[] {
  const port = (slice.ports.find((p) => p.name === "https") ?? slice.ports[0])?.port ?? 0;
  if (!port) return [];
  const hosts = slice.endpoints.flatMap((e) => e.addresses).filter((a) => a !== "");
  return [...new Set(hosts.map((h) => `${h.includes(":") ? `[${h}]` : h}:${port}`))].sort();
}

/** The backends file's text for these addresses. */
export function backendsFileText(addresses: readonly string[]): string {
  return `# The cluster's API servers (the kubernetes Service's endpoints), kept by mkctl cluster balance --watch-apiservers.\n${addresses.map((a) => `${a}\n`).join("")}`;
}

/** Writes the file when its text changes (a rename: the balancer never reads half of it); true if written. */
export function writeBackendsFile(path: string, addresses: readonly string[]): boolean {
  const text = backendsFileText(addresses);
  let old = "";
  try {
    old = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  if (old === text) return false;
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, text, { mode: 0o644 });
  renameSync(tmp, path);
  return true;
}

export interface ApiServerWatchOptions {
  /** host:port to watch through (the balancer's own listen address). */
  server: string;
  tls: TlsOptions | undefined;
  /** The backends file to keep. */
  file: string;
  log: Logger;
  signal: AbortSignal;
}

/**
 * Watches default/kubernetes's EndpointSlice until the signal aborts, rewriting the file with its
 * addresses on every change. An empty or deleted slice leaves the file as it is: a list with no
 * API server in it would stop the balancer, and the file's last list is the best one known.
 */
export async function watchApiServers(o: ApiServerWatchOptions): Promise<void> {
  const cs = connect({ server: o.server, tls: o.tls, userAgent: "mkctl-balancer", timeoutMs: 10_000 });
  const informer = newInformer(cs.endpointSlices, { namespace: KUBERNETES_SERVICE_NAMESPACE, fieldSelector: `metadata.name=${KUBERNETES_SERVICE_NAME}`, logger: o.log, name: "apiserver-endpoints" });
  const update = (slice: SliceAddresses) => {
    const addresses = apiServerAddresses(slice);
    if (addresses.length === 0) return;
    try {
      if (writeBackendsFile(o.file, addresses)) o.log.info({ file: o.file, apiservers: addresses }, "API servers from the kubernetes Service's endpoints");
    } catch (err) {
      o.log.error({ file: o.file, err: String(err) }, "backends file not written");
    }
  };
  informer.on("add", (s) => update(s));
  informer.on("update", (_old, s) => update(s));
  informer.start(o.signal);
  await new Promise<void>((resolve) => {
    if (o.signal.aborted) resolve();
    else o.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  await informer.stop();
  cs.close();
}
