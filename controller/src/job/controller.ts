// The Job controller (Kubernetes' pkg/controller/job, shaped like sample-controller): informer
// handlers only enqueue the Job's key; sync(key) counts the pods that finished, decides whether the
// Job is Complete or Failed, and otherwise creates pods up to parallelism (after the back-off when
// pods failed). Finished pods are counted the way Kubernetes does it since 1.26: every pod carries the
// batch.kubernetes.io/job-tracking finalizer; a finished pod's uid first goes into
// status.uncountedTerminatedPods, then its finalizer is removed, then it moves into succeeded/failed.
// So deleting a counted pod never lowers the count, and a crash between the steps loses nothing.
import { type Job, type JobCondition, type JobStatus, type ObjectMeta, type Pod, PodSpec } from "@mk/proto";
import {
  formatIndexes,
  isJobFinished,
  JOB_COMPLETION_INDEX,
  JOB_COMPLETION_INDEX_ENV,
  JOB_TRACKING_FINALIZER,
  jobCondition,
  parseIndexes,
} from "@mk/proto/api";
import { type Clientset, ConflictError, type EventRecorder, isNotFound, NotFoundError } from "@mk/proto/client";
import { cloneCached, type Informer, objectKey, runController, WorkQueue } from "@mk/proto/informer";
import { Expectations } from "../expectations.js";
import type { Logger } from "../log.js";
import type { ControllerMetrics } from "../metrics.js";
import { controllerRefOf, newControllerRef } from "../ownerref.js";
import { slowStartBatch, subject } from "../replicaset/controller.js";
import type { RoPod } from "../types.js";
import { type BackoffRecord, remainingBackoffMs } from "./backoff.js";
import {
  completionIndexOf,
  finishedAtMs,
  hasTrackingFinalizer,
  isActivePod,
  isFailed,
  isSucceeded,
  matchPodFailurePolicy,
  type RoJob,
  restartsOf,
} from "./pods.js";

const CONTROLLER = "job";
/** At most this many pod creates per sync, as Kubernetes' burst for Jobs. */
export const JOB_BURST = 500;

export interface JobControllerOptions {
  client: Clientset;
  jobInformer: Informer<Job>;
  podInformer: Informer<Pod>;
  recorder?: EventRecorder | undefined;
  logger: Logger;
  metrics?: ControllerMetrics | undefined;
  maxRetries?: number | undefined;
  now?: () => Date;
  /** The first back-off after a failed pod (default 10 s, as Kubernetes); tests shorten it. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

/** What one sync concluded about a Job that is not yet finished. */
interface Verdict {
  type: "Complete" | "Failed";
  reason: string;
  message: string;
}

export class JobController {
  readonly queue = new WorkQueue({ name: CONTROLLER });
  readonly expectations: Expectations;
  private readonly o: JobControllerOptions;
  private readonly log: Logger;
  private readonly now: () => Date;
  private readonly backoff = new Map<string, BackoffRecord>();
  /** Pods of Jobs that are gone whose tracking finalizer is to be removed, by pod key. */
  private readonly orphans = new Set<string>();

  constructor(o: JobControllerOptions) {
    this.o = o;
    this.log = o.logger.child({ controller: CONTROLLER });
    this.now = o.now ?? (() => new Date());
    this.expectations = new Expectations(() => this.now().getTime());
    o.jobInformer.addEventHandler({
      add: (j) => this.enqueue(j),
      update: (_old, j) => this.enqueue(j),
      delete: (j) => {
        this.expectations.delete(objectKey(j));
        this.backoff.delete(objectKey(j));
        this.enqueue(j);
      },
    });
    o.podInformer.addEventHandler({
      add: (p) => this.podChanged(p, true),
      update: (_old, p) => this.podChanged(p, false),
      delete: (p) => this.podChanged(p, false),
    });
  }

  run(workers: number, signal: AbortSignal): Promise<void> {
    const { jobInformer, podInformer, recorder, metrics, maxRetries } = this.o;
    const sync = (key: string) => this.sync(key);
    const objectFor = (key: string) => jobInformer.store.get(key);
    return runController({ name: CONTROLLER, queue: this.queue, informers: [jobInformer, podInformer], workers, sync, objectFor, recorder, metrics, maxRetries, logger: this.log }, signal);
  }

  private enqueue(j: RoJob): void {
    this.queue.add(objectKey(j));
  }

  private jobOf(p: RoPod): RoJob | undefined {
    const ref = controllerRefOf(p);
    if (ref?.kind !== "Job") return undefined;
    const job = this.o.jobInformer.store.get(`${p.metadata?.namespace}/${ref.name}`);
    return job && job.metadata?.uid === ref.uid ? job : undefined;
  }

  private podChanged(p: RoPod, added: boolean): void {
    const job = this.jobOf(p);
    if (job) {
      if (added) this.expectations.creationObserved(objectKey(job));
      this.enqueue(job);
      return;
    }
    // A Job's pod whose Job is gone (deleted in the background): its finalizer must go, or it stays forever.
    if (controllerRefOf(p)?.kind === "Job" && hasTrackingFinalizer(p)) {
      const key = `pod:${objectKey(p)}`;
      this.orphans.add(key);
      this.queue.add(key);
    }
  }

  async sync(key: string): Promise<void> {
    if (this.orphans.has(key)) {
      this.orphans.delete(key);
      await this.releaseOrphan(key.slice("pod:".length));
      return;
    }
    const job = this.o.jobInformer.store.get(key);
    if (!job) {
      this.expectations.delete(key);
      this.backoff.delete(key);
      return;
    }
    const uid = job.metadata?.uid ?? "";
    const pods = this.o.podInformer.store.listByNamespace(job.metadata?.namespace ?? "").filter((p) => controllerRefOf(p)?.uid === uid);
    if (job.metadata?.deletionTimestamp) {
      // Foreground deletion waits for the pods: they must be able to go.
      await this.removeFinalizers(pods.filter(hasTrackingFinalizer));
      return;
    }
    const now = this.now();
    const tracked = await this.trackFinished(key, job, pods);
    // The cached Job is stale (a conflict): its newer version is on the way and enqueues the key again.
    if (!tracked) return;
    const status = tracked.status;
    const active = pods.filter(isActivePod);
    let verdict: Verdict | undefined;
    if (!isJobFinished(job)) {
      verdict = tracked.failJob ?? this.verdict(job, status, active, now);
      if (!verdict && !job.spec?.suspend && this.expectations.satisfied(key)) await this.managePods(key, job, status, active, now);
    }
    if (isJobFinished(job) || verdict || job.spec?.suspend) {
      // Finished or suspended: no pod runs any more. Their finalizers go once the Job is finished.
      await this.deletePods(job, active);
      if (isJobFinished(job) || verdict) await this.removeFinalizers(pods.filter((p) => hasTrackingFinalizer(p) && !isActivePod(p) && !this.awaitsCount(status, p)));
    }
    this.fillStatus(job, status, pods, verdict, now);
    const written = await this.writeStatus(job, tracked.written, status);
    if (written && isJobFinished(written)) await this.expireTtl(key, written, now);
    this.requeueForDeadline(key, job, status, now);
  }

  /**
   * Counts the pods that finished since the last sync (the three steps above) and returns the status
   * to build on, with a FailJob verdict when a podFailurePolicy rule says so.
   */
  private async trackFinished(key: string, job: RoJob, pods: readonly RoPod[]): Promise<{ status: JobStatus; written: RoJob; failJob?: Verdict } | undefined> {
    const status = cloneCached("Job", job).status ?? emptyStatus();
    status.uncountedTerminatedPods ??= { succeeded: [], failed: [] };
    const uncounted = status.uncountedTerminatedPods;
    const indexed = job.spec?.completionMode === "Indexed";
    const completed = new Set(parseIndexes(status.completedIndexes));
    const finishedJob = isJobFinished(job);
    const ignored: RoPod[] = [];
    let failJob: Verdict | undefined;
    let added = false;
    for (const p of pods) {
      const id = p.metadata?.uid ?? "";
      if (!hasTrackingFinalizer(p) || uncounted.succeeded.includes(id) || uncounted.failed.includes(id)) continue;
      if (isSucceeded(p)) {
        const index = completionIndexOf(p);
        if (indexed && index !== undefined) completed.add(index);
        uncounted.succeeded.push(id);
        added = true;
      } else if (isFailed(p) || (p.metadata?.deletionTimestamp && !finishedJob)) {
        // A pod deleted before it finished counts as failed, as in Kubernetes.
        const m = matchPodFailurePolicy(job, p);
        if (m.action === "Ignore") {
          ignored.push(p);
          continue;
        }
        if (m.action === "FailJob") failJob ??= { type: "Failed", reason: "PodFailurePolicy", message: `Container of pod ${p.metadata?.name} matched FailJob rule at index ${m.rule}` };
        uncounted.failed.push(id);
        this.noteFailure(key, p);
        added = true;
      }
    }
    if (indexed) status.completedIndexes = formatIndexes(completed);
    // Step 1: the uids are written before any finalizer goes, so a crash cannot lose a count.
    let written: RoJob | undefined = job;
    if (added) written = await this.writeStatus(job, job, status);
    // No finalizer may go before its uid is stored.
    if (!written) return undefined;
    // Step 2: the finalizers go.
    const uncountedIds = new Set([...uncounted.succeeded, ...uncounted.failed]);
    const released = await this.removeFinalizers([...ignored, ...pods.filter((p) => hasTrackingFinalizer(p) && uncountedIds.has(p.metadata?.uid ?? ""))]);
    // Step 3: every uncounted pod without a finalizer now (or gone) is counted. The caller writes it.
    const stillHeld = new Set(pods.filter(hasTrackingFinalizer).map((p) => p.metadata?.uid ?? ""));
    const done = (id: string) => !stillHeld.has(id) || released.has(id);
    status.succeeded += uncounted.succeeded.filter(done).length;
    status.failed += uncounted.failed.filter(done).length;
    uncounted.succeeded = uncounted.succeeded.filter((id) => !done(id));
    uncounted.failed = uncounted.failed.filter((id) => !done(id));
    // An Indexed Job counts its distinct completed indexes (a retried index succeeds once).
    if (indexed) status.succeeded = completed.size;
    return failJob ? { status, written, failJob } : { status, written };
  }

  private awaitsCount(status: JobStatus, p: RoPod): boolean {
    const id = p.metadata?.uid ?? "";
    const u = status.uncountedTerminatedPods;
    return (u?.succeeded.includes(id) ?? false) || (u?.failed.includes(id) ?? false);
  }

  private noteFailure(key: string, p: RoPod): void {
    const rec = this.backoff.get(key) ?? { failures: 0, lastFailureMs: 0 };
    rec.failures++;
    rec.lastFailureMs = Math.max(rec.lastFailureMs, finishedAtMs(p) ?? this.now().getTime());
    this.backoff.set(key, rec);
  }

  /** Complete, Failed (back-off limit, deadline) or nothing yet, from the counts after this sync. */
  private verdict(job: RoJob, status: JobStatus, active: readonly RoPod[], now: Date): Verdict | undefined {
    const spec = job.spec;
    const limit = spec?.backoffLimit ?? 6;
    const onFailure = spec?.template?.spec?.restartPolicy === "OnFailure";
    const failures = status.failed + (status.uncountedTerminatedPods?.failed.length ?? 0) + (onFailure ? restartsOf(active) : 0);
    if (failures > limit) return { type: "Failed", reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit" };
    const deadline = spec?.activeDeadlineSeconds;
    const started = Date.parse(status.startTime);
    if (deadline !== undefined && !Number.isNaN(started) && now.getTime() - started >= deadline * 1000) {
      return { type: "Failed", reason: "DeadlineExceeded", message: "Job was active longer than specified deadline" };
    }
    const succeeded = status.succeeded + (status.uncountedTerminatedPods?.succeeded.length ?? 0);
    const completions = spec?.completions;
    // A work queue (no completions) is done when one pod succeeded and none still runs.
    const complete = completions === undefined ? succeeded > 0 && active.length === 0 : succeeded >= completions;
    if (complete) return { type: "Complete", reason: "CompletionsReached", message: "Reached expected number of succeeded pods" };
    return undefined;
  }

  /** Creates pods up to parallelism (after the back-off), or deletes the excess when it was lowered. */
  private async managePods(key: string, job: RoJob, status: JobStatus, active: readonly RoPod[], now: Date): Promise<void> {
    const spec = job.spec;
    const parallelism = spec?.parallelism ?? 1;
    const indexes = spec?.completionMode === "Indexed" ? this.pendingIndexes(job, status, active) : undefined;
    const succeeded = status.succeeded + (status.uncountedTerminatedPods?.succeeded.length ?? 0);
    let want: number;
    if (indexes) want = Math.min(parallelism, active.length + indexes.length);
    else if (spec?.completions === undefined) want = succeeded > 0 ? 0 : parallelism;
    else want = Math.min(parallelism, spec.completions - succeeded);
    want = Math.max(0, want);
    if (active.length > want) {
      // Parallelism lowered: the newest pods go first.
      const excess = [...active].sort((a, b) => (b.metadata?.creationTimestamp ?? "").localeCompare(a.metadata?.creationTimestamp ?? "")).slice(0, active.length - want);
      await this.deletePods(job, excess);
      return;
    }
    const n = Math.min(want - active.length, JOB_BURST);
    if (n <= 0) return;
    const wait = remainingBackoffMs(this.backoff.get(key), now.getTime(), this.o.backoffBaseMs, this.o.backoffMaxMs);
    if (wait > 0) {
      this.queue.addAfter(key, wait);
      return;
    }
    this.expectations.expectCreations(key, n);
    this.log.info({ job: key, want, active: active.length, creating: n }, "creating pods");
    const queue = indexes ? indexes.slice(0, n) : [];
    const { created, failed, skipped, firstError } = await slowStartBatch(n, 1, () => this.createPod(job, queue.shift()));
    for (let i = 0; i < failed + skipped; i++) this.expectations.creationObserved(key);
    this.o.metrics?.podsCreated.inc(created);
    if (firstError) throw firstError;
  }

  /** The indexes of an Indexed Job neither completed nor held by an active pod, lowest first. */
  private pendingIndexes(job: RoJob, status: JobStatus, active: readonly RoPod[]): number[] {
    const taken = new Set(parseIndexes(status.completedIndexes));
    for (const p of active) {
      const i = completionIndexOf(p);
      if (i !== undefined) taken.add(i);
    }
    const out: number[] = [];
    for (let i = 0; i < (job.spec?.completions ?? 0); i++) if (!taken.has(i)) out.push(i);
    return out;
  }

  private async createPod(job: RoJob, index: number | undefined): Promise<void> {
    const t = job.spec?.template;
    const m = job.metadata;
    const name = m?.name ?? "";
    const spec = t?.spec ? PodSpec.decode(PodSpec.encode(t.spec as PodSpec).finish()) : undefined;
    const annotations: Record<string, string> = { ...t?.metadata?.annotations };
    const labels: Record<string, string> = { ...t?.metadata?.labels };
    if (index !== undefined) {
      annotations[JOB_COMPLETION_INDEX] = String(index);
      labels[JOB_COMPLETION_INDEX] = String(index);
      for (const c of [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])]) {
        c.env = [...c.env.filter((e) => e.name !== JOB_COMPLETION_INDEX_ENV), { name: JOB_COMPLETION_INDEX_ENV, value: String(index) }];
      }
      if (spec && !spec.hostname) spec.hostname = `${name}-${index}`;
    }
    const pod: Pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: "",
        generateName: index === undefined ? `${name}-` : `${name}-${index}-`,
        namespace: m?.namespace ?? "",
        uid: "",
        resourceVersion: "",
        generation: 0,
        labels,
        annotations,
        ownerReferences: [newControllerRef(job, "batch/v1", "Job")],
        finalizers: [JOB_TRACKING_FINALIZER],
        creationTimestamp: "",
        deletionTimestamp: "",
      },
      spec,
      status: undefined,
    };
    try {
      const created = await this.o.client.pods.create(pod);
      this.o.recorder?.event("Job", subject(job), "Normal", "SuccessfulCreate", `Created pod: ${created.metadata?.name}`);
    } catch (err) {
      this.o.recorder?.event("Job", subject(job), "Warning", "FailedCreate", `Error creating: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
  }

  private async deletePods(job: RoJob, pods: readonly RoPod[]): Promise<void> {
    await Promise.all(
      pods.map(async (p) => {
        const name = p.metadata?.name ?? "";
        try {
          await this.o.client.pods.delete(name, p.metadata?.namespace ?? "", { preconditions: { uid: p.metadata?.uid ?? "" } });
          this.o.recorder?.event("Job", subject(job), "Normal", "SuccessfulDelete", `Deleted pod: ${name}`);
        } catch (err) {
          // Already gone: what the delete wanted.
          if (!isNotFound(err)) throw err;
        }
      }),
    );
  }

  /** Removes the tracking finalizer of each pod; returns the uids of the pods no finalizer holds now. */
  private async removeFinalizers(pods: readonly RoPod[]): Promise<Set<string>> {
    const released = new Set<string>();
    await Promise.all(
      pods.map(async (p) => {
        if (await this.removeFinalizer(p)) released.add(p.metadata?.uid ?? "");
      }),
    );
    return released;
  }

  private async removeFinalizer(p: RoPod): Promise<boolean> {
    const pod = cloneCached("Pod", p);
    const meta = pod.metadata as ObjectMeta;
    meta.finalizers = meta.finalizers.filter((f) => f !== JOB_TRACKING_FINALIZER);
    try {
      await this.o.client.pods.update(pod);
      return true;
    } catch (err) {
      // Gone: nothing holds it. A conflict: the newer pod comes through the informer and enqueues the Job.
      if (isNotFound(err)) return true;
      if (!(err instanceof ConflictError)) throw err;
      return false;
    }
  }

  private async releaseOrphan(podKey: string): Promise<void> {
    const p = this.o.podInformer.store.get(podKey);
    if (!p || !hasTrackingFinalizer(p) || this.jobOf(p)) return;
    await this.removeFinalizer(p);
  }

  /** Counts, startTime, and the new condition of a verdict (or the Suspended condition's change). */
  private fillStatus(job: RoJob, status: JobStatus, pods: readonly RoPod[], verdict: Verdict | undefined, now: Date): void {
    const t = now.toISOString().replace(/\.\d+Z$/, "Z");
    const active = pods.filter(isActivePod);
    status.active = active.length;
    status.ready = active.filter((p) => p.status?.conditions.some((c) => c.type === "Ready" && c.status === "True")).length;
    status.terminating = pods.filter((p) => p.metadata?.deletionTimestamp && !isSucceeded(p) && !isFailed(p)).length;
    const suspended = job.spec?.suspend === true;
    if (!suspended && !status.startTime) status.startTime = t;
    const cond = (type: string, state: string, reason: string, message: string): JobCondition => ({ type, status: state, lastProbeTime: t, lastTransitionTime: t, reason, message });
    const setCondition = (c: JobCondition) => {
      const i = status.conditions.findIndex((x) => x.type === c.type);
      if (i < 0) status.conditions.push(c);
      else if (status.conditions[i]?.status !== c.status) status.conditions[i] = c;
    };
    if (verdict) {
      setCondition(cond(verdict.type, "True", verdict.reason, verdict.message));
      if (verdict.type === "Complete") status.completionTime = t;
      this.o.recorder?.event("Job", subject(job), verdict.type === "Complete" ? "Normal" : "Warning", verdict.type === "Complete" ? "Completed" : verdict.reason, verdict.message);
      return;
    }
    if (isJobFinished(job)) return;
    if (suspended) setCondition(cond("Suspended", "True", "JobSuspended", "Job suspended"));
    else if (jobCondition(job, "Suspended")) setCondition(cond("Suspended", "False", "JobResumed", "Job resumed"));
  }

  /**
   * Writes status when it changed; returns the Job as stored after the write, or undefined after a
   * conflict (the cache was stale: the newer Job comes through the informer and enqueues the key).
   */
  private async writeStatus(job: RoJob, base: RoJob, status: JobStatus): Promise<RoJob | undefined> {
    if (JSON.stringify(base.status) === JSON.stringify(status)) return base;
    const next = cloneCached("Job", base);
    next.status = status;
    try {
      return await this.o.client.resource("Job").updateStatus(next);
    } catch (err) {
      // NotFound: deleted meanwhile, nothing to report on.
      if (err instanceof NotFoundError) return job;
      if (err instanceof ConflictError) return undefined;
      throw err;
    }
  }

  /** ttlSecondsAfterFinished: the Job (and, through the garbage collector, its pods) goes that long after it finished. */
  private async expireTtl(key: string, job: RoJob, now: Date): Promise<void> {
    const ttl = job.spec?.ttlSecondsAfterFinished;
    if (ttl === undefined) return;
    const c = jobCondition(job, "Complete") ?? jobCondition(job, "Failed");
    const finished = Date.parse(job.status?.completionTime || c?.lastTransitionTime || "");
    if (Number.isNaN(finished)) return;
    const left = finished + ttl * 1000 - now.getTime();
    if (left > 0) {
      this.queue.addAfter(key, left);
      return;
    }
    try {
      await this.o.client.resource("Job").delete(job.metadata?.name ?? "", job.metadata?.namespace ?? "", { propagationPolicy: "Background", preconditions: { uid: job.metadata?.uid ?? "" } });
      this.log.info({ job: key, ttlSeconds: ttl }, "deleted finished job after its TTL");
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** activeDeadlineSeconds: look again when the deadline passes. */
  private requeueForDeadline(key: string, job: RoJob, status: JobStatus, now: Date): void {
    const deadline = job.spec?.activeDeadlineSeconds;
    const started = Date.parse(status.startTime);
    if (deadline === undefined || Number.isNaN(started) || isJobFinished(job) || job.spec?.suspend) return;
    const left = started + deadline * 1000 - now.getTime();
    if (left > 0) this.queue.addAfter(key, left + 50);
  }
}

function emptyStatus(): JobStatus {
  return { conditions: [], startTime: "", completionTime: "", active: 0, succeeded: 0, failed: 0, completedIndexes: "", uncountedTerminatedPods: { succeeded: [], failed: [] } };
}
