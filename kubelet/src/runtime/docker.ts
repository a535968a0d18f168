// The Docker implementation of ContainerRuntime, through dockerode. Engine errors are mapped here,
// once: 404 on stop/remove/inspect means "already gone", 304 on stop means "already stopped".
import type { Readable } from "node:stream";
import Docker from "dockerode";
import { Demuxer, demuxBuffer, demuxStream, lines } from "./demux.js";
import {
  type ContainerConfig,
  type ContainerDetails,
  type ContainerRuntime,
  type ContainerStateName,
  type ContainerSummary,
  type EnsureImageResult,
  type ExecResult,
  ImageNeverPullError,
  ImagePullError,
  type LogOptions,
  type OutputFrame,
  type PullPolicy,
  type PullProgress,
  type RuntimeEvent,
  RuntimeError,
  type RuntimeVersion,
  type VolumeInfo,
} from "./runtime.js";

export interface DockerRuntimeOptions {
  /** Default: the local engine's socket (DOCKER_HOST honoured by dockerode). */
  socketPath?: string;
  /**
   * Whether an image named without a registry host ("busybox", "mk/web:v1") may be pulled, which
   * means Docker Hub. Off by default: mk runs where Docker Hub must not be contacted, and such
   * images are built locally; pulls go to a named registry ("127.0.0.1:5000/mk/web:v1").
   */
  allowRegistrylessPulls?: boolean;
}

function statusCode(err: unknown): number | undefined {
  if (typeof err === "object" && err !== null && "statusCode" in err) {
    const c = (err as { statusCode: unknown }).statusCode;
    return typeof c === "number" ? c : undefined;
  }
  return undefined;
}

function engineMessage(err: unknown): string {
  if (typeof err === "object" && err !== null && "json" in err) {
    const j = (err as { json: unknown }).json;
    if (typeof j === "object" && j !== null && "message" in j) return String((j as { message: unknown }).message);
  }
  return err instanceof Error ? err.message : String(err);
}

function wrap(what: string, err: unknown): RuntimeError {
  return new RuntimeError(`${what}: ${engineMessage(err)}`, { cause: err });
}

/** true when the reference names a registry host: "127.0.0.1:5000/x", "registry.local/x", "localhost/x". */
export function hasRegistryHost(image: string): boolean {
  const slash = image.indexOf("/");
  if (slash < 0) return false;
  const first = image.slice(0, slash);
  return first.includes(".") || first.includes(":") || first === "localhost";
}

function labelFilters(labels: Record<string, string>): string[] {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`);
}

/** The container's address on the default bridge, or on the first network it has. */
function bridgeAddress(info: Docker.ContainerInspectInfo): string {
  const nets = info.NetworkSettings.Networks ?? {};
  const bridge = nets.bridge?.IPAddress;
  if (bridge) return bridge;
  for (const n of Object.values(nets)) if (n.IPAddress) return n.IPAddress;
  return "";
}

const emptyTime = (t: string | undefined): string => (!t || t.startsWith("0001-01-01") ? "" : t);

export class DockerRuntime implements ContainerRuntime {
  readonly docker: Docker;
  private readonly allowRegistryless: boolean;

  constructor(options: DockerRuntimeOptions = {}) {
    this.docker = options.socketPath ? new Docker({ socketPath: options.socketPath }) : new Docker();
    this.allowRegistryless = options.allowRegistrylessPulls ?? false;
  }

  async version(): Promise<RuntimeVersion> {
    try {
      const v = await this.docker.version();
      return {
        name: "docker",
        version: v.Version,
        apiVersion: v.ApiVersion,
        kernelVersion: v.KernelVersion ?? "",
        operatingSystem: v.Os,
        architecture: v.Arch,
      };
    } catch (err) {
      throw wrap("docker version", err);
    }
  }

  private async imageId(image: string): Promise<string | undefined> {
    try {
      const info = await this.docker.getImage(image).inspect();
      return info.Id;
    } catch (err) {
      if (statusCode(err) === 404) return undefined;
      throw wrap(`inspect image ${image}`, err);
    }
  }

  async ensureImage(image: string, policy: PullPolicy, onProgress?: (p: PullProgress) => void, signal?: AbortSignal): Promise<EnsureImageResult> {
    if (policy !== "Always") {
      const id = await this.imageId(image);
      if (id) return { imageId: id, pulled: false };
      if (policy === "Never") throw new ImageNeverPullError(image);
    }
    await this.pull(image, onProgress, signal);
    const id = await this.imageId(image);
    if (!id) throw new ImagePullError(`image ${image} is still absent after its pull`);
    return { imageId: id, pulled: true };
  }

  private async pull(image: string, onProgress?: (p: PullProgress) => void, signal?: AbortSignal): Promise<void> {
    if (!hasRegistryHost(image) && !this.allowRegistryless) {
      throw new ImagePullError(
        `refusing to pull "${image}": it names no registry host, which means Docker Hub; build it locally or use a registry host such as 127.0.0.1:5000/…`,
      );
    }
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.docker.pull(image, signal ? { abortSignal: signal } : {});
    } catch (err) {
      throw new ImagePullError(`failed to pull image "${image}": ${engineMessage(err)}`, { cause: err });
    }
    // Errors after the pull started come as a JSON line with an "error" field, not as a failed call.
    try {
      for await (const line of lines(stream as Readable)) {
        let msg: { status?: string; id?: string; error?: string; progressDetail?: { current?: number; total?: number } };
        try {
          msg = JSON.parse(line) as typeof msg;
        } catch {
          continue; // a malformed progress line carries nothing we need
        }
        if (msg.error) throw new ImagePullError(`failed to pull image "${image}": ${msg.error}`);
        if (msg.status && onProgress) {
          const p: PullProgress = { status: msg.status };
          if (msg.id) p.id = msg.id;
          if (msg.progressDetail?.current !== undefined) p.current = msg.progressDetail.current;
          if (msg.progressDetail?.total !== undefined) p.total = msg.progressDetail.total;
          onProgress(p);
        }
      }
    } catch (err) {
      if (err instanceof ImagePullError) throw err;
      throw new ImagePullError(`failed to pull image "${image}": ${engineMessage(err)}`, { cause: err });
    }
  }

  async createContainer(c: ContainerConfig): Promise<string> {
    const exposed: Record<string, object> = {};
    const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
    let networkMode: string;
    if (c.network.mode === "container") {
      networkMode = `container:${c.network.containerId}`;
    } else {
      networkMode = c.network.mode === "host" ? "host" : (c.network.network ?? "bridge");
      for (const p of c.network.portBindings) {
        const key = `${p.containerPort}/${p.protocol}`;
        exposed[key] = {};
        if (p.hostPort > 0 && c.network.mode === "bridge") {
          const list = bindings[key] ?? [];
          list.push({ HostIp: p.hostIp, HostPort: String(p.hostPort) });
          bindings[key] = list;
        }
      }
    }
    const opts: Docker.ContainerCreateOptions = {
      name: c.name,
      Image: c.image,
      Labels: c.labels,
      Env: c.env,
      ExposedPorts: exposed,
      HostConfig: {
        NetworkMode: networkMode,
        PortBindings: bindings,
        Init: c.init,
        NanoCpus: c.nanoCpus,
        Memory: c.memoryBytes,
        Mounts: c.mounts.map((m) =>
          ({ Type: m.type, Source: m.type === "tmpfs" ? "" : m.source, Target: m.target, ReadOnly: m.readOnly }),
        ),
        CapAdd: c.security.capAdd,
        CapDrop: c.security.capDrop,
        Privileged: c.security.privileged,
        ReadonlyRootfs: c.security.readOnlyRootFilesystem,
        SecurityOpt: c.security.noNewPrivileges ? ["no-new-privileges"] : [],
        RestartPolicy: { Name: "no" },
      },
    };
    if (c.entrypoint) opts.Entrypoint = c.entrypoint;
    if (c.cmd) opts.Cmd = c.cmd;
    if (c.workingDir) opts.WorkingDir = c.workingDir;
    // A container joined to another's network namespace must not set its own hostname.
    if (c.hostname && c.network.mode === "bridge") opts.Hostname = c.hostname;
    if (c.security.user) opts.User = c.security.user;
    if (c.stopSignal) opts.StopSignal = c.stopSignal;
    try {
      const ct = await this.docker.createContainer(opts);
      return ct.id;
    } catch (err) {
      throw wrap(`create container ${c.name}`, err);
    }
  }

  async startContainer(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).start();
    } catch (err) {
      if (statusCode(err) === 304) return; // already started
      throw wrap(`start container ${id.slice(0, 12)}`, err);
    }
  }

  async stopContainer(id: string, graceSeconds: number): Promise<void> {
    try {
      await this.docker.getContainer(id).stop({ t: Math.max(0, Math.floor(graceSeconds)) });
    } catch (err) {
      const code = statusCode(err);
      if (code === 304 || code === 404) return; // already stopped, or gone
      throw wrap(`stop container ${id.slice(0, 12)}`, err);
    }
  }

  async removeContainer(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true, v: false });
    } catch (err) {
      const code = statusCode(err);
      // 404: gone; 409 "removal already in progress": someone else is removing it.
      if (code === 404 || code === 409) return;
      throw wrap(`remove container ${id.slice(0, 12)}`, err);
    }
  }

  async listContainers(labels: Record<string, string>): Promise<ContainerSummary[]> {
    try {
      const list = await this.docker.listContainers({ all: true, filters: { label: labelFilters(labels) } });
      return list.map((c) => ({
        id: c.Id,
        name: (c.Names[0] ?? "").replace(/^\//, ""),
        image: c.Image,
        labels: c.Labels ?? {},
        state: c.State as ContainerStateName,
        created: c.Created,
      }));
    } catch (err) {
      throw wrap("list containers", err);
    }
  }

  async inspectContainer(id: string): Promise<ContainerDetails | undefined> {
    let info: Docker.ContainerInspectInfo;
    try {
      info = await this.docker.getContainer(id).inspect();
    } catch (err) {
      if (statusCode(err) === 404) return undefined;
      throw wrap(`inspect container ${id.slice(0, 12)}`, err);
    }
    return {
      id: info.Id,
      name: info.Name.replace(/^\//, ""),
      image: info.Config.Image,
      imageId: info.Image,
      labels: info.Config.Labels ?? {},
      state: info.State.Status as ContainerStateName,
      running: info.State.Running,
      exitCode: info.State.ExitCode,
      oomKilled: info.State.OOMKilled,
      error: info.State.Error ?? "",
      createdAt: emptyTime(info.Created),
      startedAt: emptyTime(info.State.StartedAt),
      finishedAt: emptyTime(info.State.FinishedAt),
      ipAddress: bridgeAddress(info),
      pid: info.State.Pid,
    };
  }

  async *logs(id: string, o: LogOptions, signal?: AbortSignal): AsyncGenerator<OutputFrame> {
    const c = this.docker.getContainer(id);
    const base: Docker.ContainerLogsOptions = { stdout: true, stderr: true, timestamps: o.timestamps };
    if (o.tail !== undefined) base.tail = o.tail;
    if (o.since !== undefined) base.since = o.since;
    if (!o.follow) {
      let buf: Buffer;
      try {
        buf = await c.logs({ ...base, follow: false });
      } catch (err) {
        throw wrap(`logs of ${id.slice(0, 12)}`, err);
      }
      yield* demuxBuffer(buf);
      return;
    }
    let stream: NodeJS.ReadableStream;
    try {
      stream = await c.logs({ ...base, follow: true });
    } catch (err) {
      throw wrap(`logs of ${id.slice(0, 12)}`, err);
    }
    const readable = stream as Readable;
    const onAbort = () => readable.destroy();
    if (signal?.aborted) onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      yield* demuxStream(readable);
    } catch (err) {
      if (signal?.aborted) return;
      throw wrap(`logs of ${id.slice(0, 12)}`, err);
    } finally {
      signal?.removeEventListener("abort", onAbort);
      readable.destroy();
    }
  }

  async exec(
    id: string,
    command: string[],
    onOutput: (f: OutputFrame) => void,
    options: { stdin?: Buffer; signal?: AbortSignal; timeoutMs?: number } = {},
  ): Promise<ExecResult> {
    const withStdin = options.stdin !== undefined && options.stdin.length > 0;
    let exec: Docker.Exec;
    let stream: NodeJS.ReadWriteStream;
    try {
      exec = await this.docker.getContainer(id).exec({ Cmd: command, AttachStdout: true, AttachStderr: true, AttachStdin: withStdin, Tty: false });
      stream = await exec.start({ hijack: true, stdin: withStdin });
    } catch (err) {
      throw wrap(`exec in ${id.slice(0, 12)}`, err);
    }
    const duplex = stream as unknown as Readable & { end(b?: Buffer): void };
    if (withStdin && options.stdin) duplex.end(options.stdin);
    const d = new Demuxer();
    let timer: NodeJS.Timeout | undefined;
    const stop = () => duplex.destroy();
    options.signal?.addEventListener("abort", stop, { once: true });
    if (options.timeoutMs) timer = setTimeout(stop, options.timeoutMs);
    let timedOut = false;
    try {
      for await (const chunk of duplex) {
        for (const f of d.push(chunk as Buffer)) onOutput(f);
      }
    } catch (err) {
      // Destroyed by the timeout or the signal: the exit code below tells what happened.
      if (!options.signal?.aborted && !timer) throw wrap(`exec in ${id.slice(0, 12)}`, err);
    } finally {
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener("abort", stop);
    }
    // The stream can end a moment before the engine records the exit code.
    for (let i = 0; i < 50; i++) {
      const info = await exec.inspect().catch((err: unknown) => {
        throw wrap(`exec in ${id.slice(0, 12)}`, err);
      });
      if (!info.Running && info.ExitCode !== null) return { exitCode: info.ExitCode };
      if (options.signal?.aborted || (options.timeoutMs && duplex.destroyed)) {
        timedOut = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    if (timedOut) throw new RuntimeError(`exec in ${id.slice(0, 12)} timed out or was cancelled`);
    throw new RuntimeError(`exec in ${id.slice(0, 12)}: no exit code reported`);
  }

  async *events(labels: Record<string, string>, signal: AbortSignal): AsyncGenerator<RuntimeEvent> {
    if (signal.aborted) return;
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.docker.getEvents({ filters: { type: ["container"], label: labelFilters(labels) } });
    } catch (err) {
      throw wrap("docker events", err);
    }
    const readable = stream as Readable;
    const onAbort = () => readable.destroy();
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      for await (const line of lines(readable)) {
        let ev: { Action?: string; Actor?: { ID?: string; Attributes?: Record<string, string> } };
        try {
          ev = JSON.parse(line) as typeof ev;
        } catch {
          continue; // a malformed line carries nothing we can use
        }
        yield { action: ev.Action ?? "", containerId: ev.Actor?.ID ?? "", labels: ev.Actor?.Attributes ?? {} };
      }
    } catch (err) {
      if (signal.aborted) return;
      throw wrap("docker events", err);
    } finally {
      signal.removeEventListener("abort", onAbort);
      readable.destroy();
    }
  }

  async ensureVolume(name: string, labels: Record<string, string>, driverOptions?: Record<string, string>): Promise<void> {
    try {
      await this.docker.getVolume(name).inspect();
      return;
    } catch (err) {
      if (statusCode(err) !== 404) throw wrap(`inspect volume ${name}`, err);
    }
    try {
      await this.docker.createVolume({ Name: name, Labels: labels, Driver: "local", DriverOpts: driverOptions ?? {} });
    } catch (err) {
      throw wrap(`create volume ${name}`, err);
    }
  }

  async removeVolume(name: string): Promise<void> {
    try {
      await this.docker.getVolume(name).remove({ force: true });
    } catch (err) {
      if (statusCode(err) === 404) return;
      throw wrap(`remove volume ${name}`, err);
    }
  }

  async listVolumes(labels: Record<string, string>): Promise<VolumeInfo[]> {
    try {
      const res = await this.docker.listVolumes({ filters: { label: labelFilters(labels) } });
      return (res.Volumes ?? []).map((v) => ({ name: v.Name, labels: v.Labels ?? {} }));
    } catch (err) {
      throw wrap("list volumes", err);
    }
  }
}

export function isRuntimeGone(err: unknown): boolean {
  return statusCode(err) === 404;
}
