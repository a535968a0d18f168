// The CronJob controller (Kubernetes' cronjob controller v2, shaped like sample-controller): informer
// handlers enqueue the CronJob's key; sync(key) reconciles the active list with the Jobs it owns,
// starts the Job of the most recent due time (at most one, however many were missed), honours
// concurrencyPolicy, suspend and startingDeadlineSeconds, deletes finished Jobs beyond the history
// limits, and requeues itself for just after the next scheduled time. Time comes from a clock given
// at construction: its tests run hours of schedule on a fake clock in seconds.
import { type CronJob, type Job, type ObjectReference, parseSchedule, type Schedule, ScheduleError } from "@mk/proto";
import { CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION, cronJobJobName, emptyMeta, isJobFinished, isTimeZone, jobCondition, localTimeZone } from "@mk/proto/api";
import { AlreadyExistsError, type Clientset, type EventRecorder, isNotFound } from "@mk/proto/client";
import { type Clock, cloneCached, type DeepReadonly, type Informer, objectKey, realClock, runController, WorkQueue } from "@mk/proto/informer";
import type { Logger } from "../log.js";
import type { ControllerMetrics } from "../metrics.js";
import { controllerRefOf, newControllerRef } from "../ownerref.js";
import { subject } from "../replicaset/controller.js";
import { mostRecentScheduleTime, nextScheduleDelayMs } from "./schedule.js";

const CONTROLLER = "cronjob";

type RoCronJob = DeepReadonly<CronJob>;
type RoJob = DeepReadonly<Job>;

export interface CronJobControllerOptions {
  client: Clientset;
  cronJobInformer: Informer<CronJob>;
  jobInformer: Informer<Job>;
  recorder?: EventRecorder | undefined;
  logger: Logger;
  metrics?: ControllerMetrics | undefined;
  maxRetries?: number | undefined;
  /** The wall clock schedules are computed on (default the real one). */
  now?: () => Date;
  /** The timers of the work queue's delayed adds (default real timers); a test's fake clock drives both. */
  clock?: Clock;
}

/** RFC 3339 to the second, as Kubernetes' metav1.Time. */
function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");
}

function jobRef(job: RoJob): ObjectReference {
  const m = job.metadata;
  return { apiVersion: "batch/v1", kind: "Job", namespace: m?.namespace ?? "", name: m?.name ?? "", uid: m?.uid ?? "", resourceVersion: m?.resourceVersion ?? "", fieldPath: "" };
}

/** The Job for one scheduled time (getJobFromTemplate2): the template's labels and annotations, owned by the CronJob. */
export function jobFromTemplate(cj: RoCronJob, scheduledMs: number): Job {
  const t = cloneCached("CronJob", cj).spec?.jobTemplate;
  const meta = emptyMeta({
    name: cronJobJobName(cj.metadata?.name ?? "", scheduledMs),
    namespace: cj.metadata?.namespace ?? "default",
    labels: { ...t?.metadata?.labels },
    annotations: { ...t?.metadata?.annotations, [CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION]: rfc3339(scheduledMs) },
    ownerReferences: [newControllerRef(cj, "batch/v1", "CronJob")],
  });
  return { apiVersion: "batch/v1", kind: "Job", metadata: meta, spec: t?.spec, status: undefined };
}

export class CronJobController {
  readonly queue: WorkQueue;
  private readonly o: CronJobControllerOptions;
  private readonly log: Logger;
  private readonly now: () => Date;

  constructor(o: CronJobControllerOptions) {
    this.o = o;
    this.log = o.logger.child({ controller: CONTROLLER });
    this.now = o.now ?? (() => new Date());
    this.queue = new WorkQueue({ name: CONTROLLER, clock: o.clock ?? realClock });
    o.cronJobInformer.addEventHandler({
      add: (cj) => this.queue.add(objectKey(cj)),
      update: (_old, cj) => this.queue.add(objectKey(cj)),
      delete: (cj) => this.queue.add(objectKey(cj)),
    });
    const jobChanged = (j: RoJob) => {
      const ref = controllerRefOf(j);
      if (ref?.kind === "CronJob") this.queue.add(`${j.metadata?.namespace}/${ref.name}`);
    };
    o.jobInformer.addEventHandler({ add: jobChanged, update: (_old, j) => jobChanged(j), delete: jobChanged });
  }

  run(workers: number, signal: AbortSignal): Promise<void> {
    const { cronJobInformer, jobInformer, recorder, metrics, maxRetries } = this.o;
    const sync = (key: string) => this.sync(key);
    const objectFor = (key: string) => cronJobInformer.store.get(key);
    return runController(
      { name: CONTROLLER, queue: this.queue, informers: [cronJobInformer, jobInformer], workers, sync, objectFor, recorder, metrics, maxRetries, logger: this.log },
      signal,
    );
  }

  private event(cj: RoCronJob, type: "Normal" | "Warning", reason: string, message: string): void {
    this.o.recorder?.event("CronJob", subject(cj), type, reason, message);
  }

  /** The Jobs this CronJob controls, from the cache. */
  private jobsOf(cj: RoCronJob): RoJob[] {
    const uid = cj.metadata?.uid;
    const ns = cj.metadata?.namespace;
    return this.o.jobInformer.store.list().filter((j) => j.metadata?.namespace === ns && controllerRefOf(j)?.uid === uid);
  }

  async sync(key: string): Promise<void> {
    const cached = this.o.cronJobInformer.store.get(key);
    if (!cached) return;
    const cj = cloneCached("CronJob", cached);
    const jobs = this.jobsOf(cached);
    const { requeueMs, changed } = await this.syncCronJob(cj, jobs);
    const cleaned = await this.cleanupFinishedJobs(cj, jobs);
    if (changed || cleaned) await this.o.client.resource("CronJob").updateStatus(cj);
    if (requeueMs !== undefined) this.queue.addAfter(key, requeueMs);
  }

  /** Reconciles the active list, then starts the due Job if any. `cj` is a copy, changed in place. */
  private async syncCronJob(cj: CronJob, jobs: readonly RoJob[]): Promise<{ requeueMs: number | undefined; changed: boolean }> {
    cj.status ??= { active: [], lastScheduleTime: "", lastSuccessfulTime: "" };
    const status = cj.status;
    let changed = false;
    const children = new Set<string>();
    for (const j of jobs) {
      const uid = j.metadata?.uid ?? "";
      children.add(uid);
      const inActive = status.active.some((r) => r.uid === uid);
      const finished = isJobFinished(j);
      if (!inActive && !finished) {
        // Ours and running, but not in the list: made just before a crash, or a status not seen yet.
        this.event(cj, "Warning", "UnexpectedJob", `Saw a job that the controller did not create or forgot: ${j.metadata?.name}`);
      } else if (inActive && finished) {
        status.active = status.active.filter((r) => r.uid !== uid);
        const cond = jobCondition(j, "Complete") ? "Complete" : "Failed";
        this.event(cj, "Normal", "SawCompletedJob", `Saw completed job: ${j.metadata?.name}, condition: ${cond}`);
        changed = true;
      }
      const done = j.status?.completionTime;
      if (finished && jobCondition(j, "Complete") && done && (!status.lastSuccessfulTime || Date.parse(done) > Date.parse(status.lastSuccessfulTime))) {
        status.lastSuccessfulTime = done;
        changed = true;
      }
    }
    // Active Jobs gone from the cache: read the API (the cache may lag) before dropping them.
    for (const r of [...status.active]) {
      if (children.has(r.uid)) continue;
      try {
        await this.o.client.resource("Job").get(r.name, r.namespace);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        this.event(cj, "Normal", "MissingJob", `Active job went missing: ${r.name}`);
        status.active = status.active.filter((x) => x.uid !== r.uid);
        changed = true;
      }
    }
    if (cj.metadata?.deletionTimestamp) return { requeueMs: undefined, changed };

    const spec = cj.spec;
    const zone = spec?.timeZone ?? localTimeZone();
    if (!isTimeZone(zone)) {
      this.event(cj, "Warning", "UnknownTimeZone", `invalid timeZone: "${zone}": unknown time zone ${zone}`);
      return { requeueMs: undefined, changed };
    }
    if (spec?.suspend) return { requeueMs: undefined, changed };
    let sched: Schedule;
    try {
      sched = parseSchedule(spec?.schedule ?? "", zone);
    } catch (err) {
      if (!(err instanceof ScheduleError)) throw err;
      this.event(cj, "Warning", "UnparseableSchedule", `unparseable schedule: "${spec?.schedule}" : ${err.message}`);
      return { requeueMs: undefined, changed };
    }
    const now = this.now().getTime();
    const next = () => nextScheduleDelayMs(cj, now, sched);
    const recent = mostRecentScheduleTime(cj, now, sched, true);
    if (recent.missed === "many") {
      this.event(cj, "Warning", "TooManyMissedTimes", "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew");
      this.log.info({ cronjob: objectKey(cj) }, "too many missed times");
    }
    const scheduled = recent.mostRecent;
    if (scheduled === undefined) return { requeueMs: next(), changed };

    const deadline = spec?.startingDeadlineSeconds;
    if (deadline !== undefined && scheduled + Number(deadline) * 1000 < now) {
      this.event(cj, "Warning", "MissSchedule", `Missed scheduled time to start a job: ${new Date(scheduled).toUTCString().replace("GMT", "+0000")}`);
      return { requeueMs: next(), changed };
    }
    const name = cronJobJobName(cj.metadata?.name ?? "", scheduled);
    if (status.active.some((r) => r.name === name) || (status.lastScheduleTime && Date.parse(status.lastScheduleTime) === scheduled)) {
      // This time is already started.
      return { requeueMs: next(), changed };
    }
    if (spec?.concurrencyPolicy === "Forbid" && status.active.length > 0) {
      this.event(cj, "Normal", "JobAlreadyActive", "Not starting job because prior execution is running and concurrency policy is Forbid");
      return { requeueMs: next(), changed };
    }
    if (spec?.concurrencyPolicy === "Replace") {
      for (const r of [...status.active]) {
        await this.deleteJob(cj, r.namespace, r.name, r.uid);
        status.active = status.active.filter((x) => x.uid !== r.uid);
        changed = true;
      }
    }
    let created: Job;
    try {
      created = await this.o.client.resource("Job").create(jobFromTemplate(cj, scheduled));
      this.event(cj, "Normal", "SuccessfulCreate", `Created job ${created.metadata?.name}`);
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) {
        this.event(cj, "Warning", "FailedCreate", `Error creating job: ${err instanceof Error ? err.message : String(err)}`);
        throw err;
      }
      // Made by an earlier sync whose status update was lost: the name is the lock.
      created = await this.o.client.resource("Job").get(name, cj.metadata?.namespace ?? "");
      if (controllerRefOf(created)?.uid !== cj.metadata?.uid) return { requeueMs: next(), changed };
      this.log.info({ cronjob: objectKey(cj), job: name }, "job already exists");
    }
    if (!status.active.some((r) => r.uid === created.metadata?.uid)) status.active.push(jobRef(created));
    status.lastScheduleTime = rfc3339(scheduled);
    return { requeueMs: next(), changed: true };
  }

  private async deleteJob(cj: RoCronJob, namespace: string, name: string, uid: string): Promise<void> {
    try {
      await this.o.client.resource("Job").delete(name, namespace, { propagationPolicy: "Background", preconditions: { uid } });
      this.event(cj, "Normal", "SuccessfulDelete", `Deleted job ${name}`);
    } catch (err) {
      if (isNotFound(err)) return;
      this.event(cj, "Warning", "FailedDelete", `Deleted job: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
  }

  /**
   * Deletes the oldest finished Jobs beyond successfulJobsHistoryLimit and failedJobsHistoryLimit
   * (cleanupFinishedJobs; ordered by start time, then creation). Returns true when the active list changed.
   */
  private async cleanupFinishedJobs(cj: CronJob, jobs: readonly RoJob[]): Promise<boolean> {
    const s = cj.spec;
    if (s?.successfulJobsHistoryLimit === undefined && s?.failedJobsHistoryLimit === undefined) return false;
    const started = (j: RoJob) => Date.parse(j.status?.startTime || j.metadata?.creationTimestamp || "") || 0;
    const byStart = (a: RoJob, b: RoJob) => started(a) - started(b) || (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? "");
    const live = jobs.filter((j) => !j.metadata?.deletionTimestamp);
    const succeeded = live.filter((j) => jobCondition(j, "Complete")).sort(byStart);
    const failed = live.filter((j) => jobCondition(j, "Failed")).sort(byStart);
    let changed = false;
    for (const [list, limit] of [
      [succeeded, s?.successfulJobsHistoryLimit],
      [failed, s?.failedJobsHistoryLimit],
    ] as const) {
      if (limit === undefined) continue;
      for (const j of list.slice(0, Math.max(0, list.length - limit))) {
        await this.deleteJob(cj, j.metadata?.namespace ?? "", j.metadata?.name ?? "", j.metadata?.uid ?? "");
        const before = cj.status?.active.length ?? 0;
        if (cj.status) cj.status.active = cj.status.active.filter((r) => r.uid !== j.metadata?.uid);
        if ((cj.status?.active.length ?? 0) !== before) changed = true;
      }
    }
    return changed;
  }
}
