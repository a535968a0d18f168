// Logs and Exec, proxied to the kubelet of the pod's node: its InternalIP and the port it
// publishes in status.daemonEndpoints. Channel credentials come from a factory so that TLS to
// kubelets can be turned on without touching this file.
import { type ChannelCredentials, type ClientReadableStream, credentials } from "@grpc/grpc-js";
import { KubeletClient, type Node, type Pod } from "@mk/proto";
import { BadRequestError, fromServiceError, UnavailableError } from "@mk/proto/client";
import type { Store } from "../registry/store.js";

export type KubeletCredentialsFactory = (node: Node) => ChannelCredentials;

export class KubeletProxy {
  private readonly clients = new Map<string, KubeletClient>();

  constructor(
    private readonly store: Store,
    private readonly credentialsFor: KubeletCredentialsFactory = () => credentials.createInsecure(),
  ) {}

  /** The kubelet client of the node the pod is bound to. */
  async clientFor(namespace: string, podName: string, container: string): Promise<KubeletClient> {
    const pod: Pod = await this.store.get("Pod", namespace, podName);
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) throw new BadRequestError(`pod ${podName} does not have a host assigned`);
    // Init containers have logs too (kubectl logs -c INIT, --all-containers).
    const names = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => c.name);
    if (container && !names.includes(container)) {
      throw new BadRequestError(`container ${container} is not valid for pod ${podName}`);
    }
    const node = await this.store.get("Node", "", nodeName);
    const ip = node.status?.addresses.find((a) => a.type === "InternalIP")?.address;
    const port = node.status?.daemonEndpoints?.kubeletEndpoint?.port;
    if (!ip || !port) throw new UnavailableError(`node ${nodeName} publishes no kubelet endpoint (InternalIP address and daemonEndpoints.kubeletEndpoint.port)`);
    const target = ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
    let client = this.clients.get(target);
    if (!client) {
      client = new KubeletClient(target, this.credentialsFor(node), { "grpc.keepalive_time_ms": 10_000, "grpc.keepalive_timeout_ms": 5_000 });
      this.clients.set(target, client);
    }
    return client;
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}

/**
 * Pipes an upstream server stream to `write`, resolving when it ends. Cancelling `signal` cancels
 * upstream; an upstream failure rejects with a typed error.
 */
export async function pipeStream<T>(upstream: ClientReadableStream<T>, write: (msg: T) => boolean, signal: AbortSignal, resume: (cb: () => void) => void): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const onAbort = () => upstream.cancel();
    signal.addEventListener("abort", onAbort, { once: true });
    upstream.on("data", (msg: T) => {
      if (!write(msg)) {
        // The client is slower than the kubelet: pause until its buffer drains.
        upstream.pause();
        resume(() => upstream.resume());
      }
    });
    upstream.on("error", (err: unknown) => {
      signal.removeEventListener("abort", onAbort);
      if (signal.aborted) resolve();
      else reject(fromServiceError(err));
    });
    upstream.on("end", () => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    });
  });
}
