// The container runtime seen by the kubelet: a small interface with one real implementation (Docker,
// docker.ts). Shapes here are runtime-neutral; pod-spec.ts turns a Pod into ContainerConfig values and
// docker.ts turns those into Docker's API. Unit tests may swap in a fake.

export type PullPolicy = "Always" | "IfNotPresent" | "Never";

/** One progress line of an image pull, as the engine reports it ("Downloading", "Pull complete" …). */
export interface PullProgress {
  status: string;
  id?: string;
  current?: number;
  total?: number;
}

export interface EnsureImageResult {
  /** The image's id (sha256:…) once present. */
  imageId: string;
  /** true when it had to be pulled now. */
  pulled: boolean;
}

export interface Mount {
  type: "volume" | "bind" | "tmpfs";
  /** Volume name or host path; unused for tmpfs. */
  source: string;
  target: string;
  readOnly: boolean;
}

export interface PortBinding {
  containerPort: number;
  protocol: "tcp" | "udp" | "sctp";
  hostIp: string;
  hostPort: number;
}

export type NetworkConfig =
  /** A pod's sandbox on a bridge network (the node's pod network; the engine's default bridge when unset): its address is the pod's IP. */
  | { mode: "bridge"; network?: string | undefined; portBindings: PortBinding[] }
  /** Joins another container's network namespace (an app container joins its pause container). */
  | { mode: "container"; containerId: string }
  /** The node's own network namespace (hostNetwork pods). */
  | { mode: "host"; portBindings: PortBinding[] };

export interface SecurityConfig {
  /** "uid" or "uid:gid". */
  user?: string;
  capAdd: string[];
  capDrop: string[];
  privileged: boolean;
  readOnlyRootFilesystem: boolean;
  noNewPrivileges: boolean;
}

export interface ContainerConfig {
  name: string;
  image: string;
  labels: Record<string, string>;
  /** Replaces the image's ENTRYPOINT when set. */
  entrypoint?: string[];
  /** Replaces the image's CMD when set. */
  cmd?: string[];
  env: string[];
  workingDir?: string;
  hostname?: string;
  network: NetworkConfig;
  /** CPU limit in billionths of a CPU (500m → 500_000_000); 0: none. */
  nanoCpus: number;
  /** Memory limit in bytes; 0: none. */
  memoryBytes: number;
  mounts: Mount[];
  security: SecurityConfig;
  /** Runs an init process as PID 1 so the application gets SIGTERM (busybox sh as PID 1 ignores it). */
  init: boolean;
  /** Signal sent first when the container is stopped. */
  stopSignal?: string;
}

export type ContainerStateName = "created" | "running" | "paused" | "restarting" | "removing" | "exited" | "dead";

export interface ContainerSummary {
  id: string;
  name: string;
  image: string;
  labels: Record<string, string>;
  state: ContainerStateName;
  /** Unix seconds. */
  created: number;
}

export interface ContainerDetails {
  id: string;
  name: string;
  image: string;
  imageId: string;
  labels: Record<string, string>;
  state: ContainerStateName;
  running: boolean;
  exitCode: number;
  oomKilled: boolean;
  error: string;
  /** RFC 3339, or "" when never started / not finished. */
  createdAt: string;
  startedAt: string;
  finishedAt: string;
  /** Address on the default bridge ("" in host mode or when joined to another namespace). */
  ipAddress: string;
  pid: number;
}

export interface LogOptions {
  follow: boolean;
  /** Lines from the end; undefined: all. */
  tail?: number;
  timestamps: boolean;
  /** Unix seconds; only lines after it. */
  since?: number;
}

export interface OutputFrame {
  stream: "stdout" | "stderr";
  data: Buffer;
}

export interface ExecResult {
  exitCode: number;
}

/** A container lifecycle event from the engine (start, die, oom, destroy …). */
export interface RuntimeEvent {
  action: string;
  containerId: string;
  labels: Record<string, string>;
}

export interface VolumeInfo {
  name: string;
  labels: Record<string, string>;
}

export interface RuntimeVersion {
  name: string;
  version: string;
  apiVersion: string;
  kernelVersion: string;
  operatingSystem: string;
  architecture: string;
}

export interface ContainerRuntime {
  version(): Promise<RuntimeVersion>;
  /**
   * Makes the image present according to the policy, reporting pull progress. Throws
   * ImageNeverPullError (policy Never, image absent) or ImagePullError.
   */
  ensureImage(image: string, policy: PullPolicy, onProgress?: (p: PullProgress) => void, signal?: AbortSignal): Promise<EnsureImageResult>;
  /** Creates a container and returns its id. */
  createContainer(config: ContainerConfig): Promise<string>;
  startContainer(id: string): Promise<void>;
  /** SIGTERM (or the stop signal), then SIGKILL after graceSeconds. A stopped or missing container is fine. */
  stopContainer(id: string, graceSeconds: number): Promise<void>;
  /** Removes the container (forcefully); a missing container is fine. */
  removeContainer(id: string): Promise<void>;
  /** Containers carrying every given label, running or not. */
  listContainers(labels: Record<string, string>): Promise<ContainerSummary[]>;
  /** undefined when the container does not exist. */
  inspectContainer(id: string): Promise<ContainerDetails | undefined>;
  /** Log frames, demultiplexed; follows until the container stops or the signal aborts. */
  logs(id: string, options: LogOptions, signal?: AbortSignal): AsyncIterable<OutputFrame>;
  /** Runs a command in a running container (no TTY, no stdin unless given), streaming its output. */
  exec(id: string, command: string[], onOutput: (f: OutputFrame) => void, options?: { stdin?: Buffer; signal?: AbortSignal; timeoutMs?: number }): Promise<ExecResult>;
  /** Container events for containers carrying the labels, until the signal aborts. */
  events(labels: Record<string, string>, signal: AbortSignal): AsyncIterable<RuntimeEvent>;
  /** Creates the named volume unless it exists; driverOptions as `docker volume create --opt`. */
  ensureVolume(name: string, labels: Record<string, string>, driverOptions?: Record<string, string>): Promise<void>;
  /** A missing volume is fine. */
  removeVolume(name: string): Promise<void>;
  listVolumes(labels: Record<string, string>): Promise<VolumeInfo[]>;
}

/** Kubernetes' waiting reasons for image failures. */
export class ImagePullError extends Error {
  readonly reason = "ErrImagePull";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ImagePullError";
  }
}

export class ImageNeverPullError extends Error {
  readonly reason = "ErrImageNeverPull";
  constructor(image: string) {
    super(`Container image "${image}" is not present with pull policy of Never`);
    this.name = "ImageNeverPullError";
  }
}

/** A runtime call that failed for another reason (the engine's message kept, cause attached). */
export class RuntimeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "RuntimeError";
  }
}
