// The node's gRPC service (Kubelet in kubelet.proto), which the API server proxies to: Logs (follow,
// tail, previous instance, timestamps, since) and non-interactive Exec with the exit code in the last
// message. Failures are typed ApiErrors, mapped to gRPC status once, here.
import { Server, ServerCredentials, type ServerWritableStream } from "@grpc/grpc-js";
import { type ExecOutput, type ExecRequest, KubeletService, type LogChunk, type LogsRequest, type Pod } from "@mk/proto";
import { BadRequestError, NotFoundError, toServiceError } from "@mk/proto/client";
import type { DeepReadonly } from "@mk/proto/informer";
import type { Logger } from "pino";
import { LABEL_CONTAINER_NAME, LABEL_POD_UID, type NodeScope, scopeLabels } from "../runtime/names.js";
import type { ContainerRuntime, ContainerSummary } from "../runtime/runtime.js";
import { attemptOf } from "../sync/observe.js";
import { apiServerOnly } from "./client-identity.js";

export interface PodLookup {
  getPod(namespace: string, name: string): DeepReadonly<Pod> | undefined;
}

/** The node's certificate (from `mkctl cluster join`) and the cluster CA, PEM. */
export interface ServerTlsFiles {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

export class KubeletGrpcServer {
  private readonly rt: ContainerRuntime;
  private readonly scope: NodeScope;
  private readonly pods: PodLookup;
  private readonly log: Logger;
  private server: Server | undefined;
  private readonly tls: ServerTlsFiles | undefined;

  constructor(rt: ContainerRuntime, scope: NodeScope, pods: PodLookup, log: Logger, tls?: ServerTlsFiles) {
    this.rt = rt;
    this.scope = scope;
    this.pods = pods;
    this.log = log;
    this.tls = tls;
  }

  /** Listens on host:port (0 picks a free port); returns the port. */
  async start(host: string, port: number): Promise<number> {
    // With TLS, only the API server's certificate is served (client-identity.ts).
    const server = new Server(this.tls ? { interceptors: [apiServerOnly()] } : {});
    server.addService(KubeletService, {
      logs: (call: ServerWritableStream<LogsRequest, LogChunk>) => {
        this.logs(call).catch((err: unknown) => this.fail(call, err));
      },
      exec: (call: ServerWritableStream<ExecRequest, ExecOutput>) => {
        this.exec(call).catch((err: unknown) => this.fail(call, err));
      },
    });
    const target = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
    const bound = await new Promise<number>((resolve, reject) => {
      // With TLS, callers (the API server) must present a certificate from the cluster CA.
      const creds = this.tls ? ServerCredentials.createSsl(this.tls.ca, [{ private_key: this.tls.key, cert_chain: this.tls.cert }], true) : ServerCredentials.createInsecure();
      server.bindAsync(target, creds, (err, p) => (err ? reject(err) : resolve(p)));
    });
    this.server = server;
    return bound;
  }

  /** Idempotent. */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        s.forceShutdown();
        resolve();
      }, 2_000);
      s.tryShutdown(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  private fail(call: ServerWritableStream<unknown, unknown>, err: unknown): void {
    if (call.cancelled) return;
    this.log.debug({ err }, "kubelet call failed");
    call.emit("error", toServiceError(err));
  }

  /** The pod's instances of the container, newest first. */
  private async instances(namespace: string, podName: string, container: string): Promise<{ name: string; list: ContainerSummary[] }> {
    const ns = namespace || "default";
    const pod = this.pods.getPod(ns, podName);
    if (!pod) throw new NotFoundError(`pods "${podName}" not found`);
    const names = (pod.spec?.containers ?? []).map((c) => c.name);
    let name = container;
    if (!name) {
      if (names.length !== 1) throw new BadRequestError(`a container name must be specified for pod ${podName}, choose one of: [${names.join(" ")}]`);
      name = names[0] ?? "";
    } else if (!names.includes(name) && !(pod.spec?.initContainers ?? []).some((c) => c.name === name)) {
      throw new BadRequestError(`container ${name} is not valid for pod ${podName}`);
    }
    const list = await this.rt.listContainers({ ...scopeLabels(this.scope), [LABEL_POD_UID]: pod.metadata?.uid ?? "", [LABEL_CONTAINER_NAME]: name });
    list.sort((a, b) => attemptOf(b) - attemptOf(a));
    return { name, list };
  }

  private async logs(call: ServerWritableStream<LogsRequest, LogChunk>): Promise<void> {
    const r = call.request;
    const { name, list } = await this.instances(r.namespace, r.pod, r.container);
    const target = r.previous ? list[1] : list[0];
    if (!target) {
      if (r.previous) throw new BadRequestError(`previous terminated container "${name}" in pod "${r.pod}" not found`);
      throw new BadRequestError(`container "${name}" in pod "${r.pod}" is waiting to start: ContainerCreating`);
    }
    const abort = new AbortController();
    call.on("cancelled", () => abort.abort());
    const opts: { follow: boolean; timestamps: boolean; tail?: number; since?: number } = { follow: r.follow && !r.previous, timestamps: r.timestamps };
    if (r.tailLines !== undefined && r.tailLines >= 0) opts.tail = Number(r.tailLines);
    if (r.sinceSeconds !== undefined && r.sinceSeconds > 0) opts.since = Math.floor(Date.now() / 1000) - Number(r.sinceSeconds);
    for await (const f of this.rt.logs(target.id, opts, abort.signal)) {
      if (call.cancelled) break;
      if (!call.write({ data: f.data, stream: f.stream })) await new Promise((res) => call.once("drain", res));
    }
    call.end();
  }

  private async exec(call: ServerWritableStream<ExecRequest, ExecOutput>): Promise<void> {
    const r = call.request;
    if (r.command.length === 0) throw new BadRequestError("you must specify at least one command for the container");
    const { name, list } = await this.instances(r.namespace, r.pod, r.container);
    const target = list[0];
    if (target?.state !== "running") throw new BadRequestError(`container ${name} is not running`);
    const abort = new AbortController();
    call.on("cancelled", () => abort.abort());
    const empty = Buffer.alloc(0);
    const opts: { signal: AbortSignal; stdin?: Buffer } = { signal: abort.signal };
    if (r.stdin.length > 0) opts.stdin = Buffer.from(r.stdin);
    const res = await this.rt.exec(
      target.id,
      r.command,
      (f) => {
        call.write(f.stream === "stdout" ? { stdout: f.data, stderr: empty } : { stdout: empty, stderr: f.data });
      },
      opts,
    );
    call.write({ stdout: empty, stderr: empty, exitCode: res.exitCode });
    call.end();
  }
}
