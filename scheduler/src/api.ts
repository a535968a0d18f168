// The scheduler's writes to the API, behind one small interface (the seam tests can swap): Bind,
// the PodScheduled=False condition, and events.
import type { Pod, PodCondition } from "@mk/proto";
import { type Clientset, type EventRecorder, retryOnConflict } from "@mk/proto/client";
import type { DeepReadonly } from "@mk/proto/informer";

export interface SchedulerApi {
  /** Throws the API's typed errors: NotFoundError (deleted), BadRequestError (already bound) … */
  bind(pod: DeepReadonly<Pod>, nodeName: string): Promise<void>;
  /** Sets PodScheduled=False, reason Unschedulable, with the message (no write when already so). */
  markUnschedulable(pod: DeepReadonly<Pod>, message: string, signal: AbortSignal): Promise<void>;
  /** Best effort, never throws. */
  event(pod: DeepReadonly<Pod>, type: "Normal" | "Warning", reason: string, message: string): void;
}

export const REASON_UNSCHEDULABLE = "Unschedulable";
const BIND_TIMEOUT_MS = 10_000;
/**
 * Events are best effort: beyond this many writes in flight new ones are dropped, as client-go's
 * broadcaster drops events when its queue is full. A bulk of 10 000 binds must not queue 10 000
 * event writes in front of the binds themselves.
 */
export const MAX_EVENTS_IN_FLIGHT = 16;

const rfc3339 = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");

function hasCondition(pod: DeepReadonly<Pod>, message: string): boolean {
  return (pod.status?.conditions ?? []).some(
    (c) => c.type === "PodScheduled" && c.status === "False" && c.reason === REASON_UNSCHEDULABLE && c.message === message,
  );
}

export function clientApi(cs: Clientset, recorder: EventRecorder): SchedulerApi & { readonly eventsDropped: number } {
  let eventsInFlight = 0;
  let eventsDropped = 0;
  return {
    async bind(pod, nodeName) {
      const m = pod.metadata;
      // Not retried by the transport: a lost answer to a Bind that succeeded must not become a failed retry.
      await cs.bind(m?.namespace ?? "", m?.name ?? "", nodeName, m?.uid ?? "", { retry: false, timeoutMs: BIND_TIMEOUT_MS });
    },
    async markUnschedulable(pod, message, signal) {
      if (hasCondition(pod, message)) return;
      const m = pod.metadata;
      await retryOnConflict(async () => {
        const cur = await cs.pods.get(m?.name ?? "", m?.namespace ?? "", { signal });
        if (cur.metadata?.uid !== m?.uid || cur.spec?.nodeName || hasCondition(cur, message)) return;
        const status = cur.status ?? { phase: "Pending", conditions: [] };
        const cond: PodCondition = {
          type: "PodScheduled",
          status: "False",
          reason: REASON_UNSCHEDULABLE,
          message,
          lastProbeTime: "",
          lastTransitionTime: rfc3339(),
        };
        const old = status.conditions.find((c) => c.type === "PodScheduled");
        if (old?.status === "False") cond.lastTransitionTime = old.lastTransitionTime || cond.lastTransitionTime;
        status.conditions = [...status.conditions.filter((c) => c.type !== "PodScheduled"), cond];
        cur.status = { ...status, phase: status.phase || "Pending" } as NonNullable<Pod["status"]>;
        await cs.pods.updateStatus(cur, { signal });
      });
    },
    event(pod, type, reason, message) {
      if (eventsInFlight >= MAX_EVENTS_IN_FLIGHT) {
        eventsDropped++;
        return;
      }
      eventsInFlight++;
      recorder
        .record("Pod", { apiVersion: "v1", kind: "Pod", metadata: pod.metadata as Pod["metadata"] }, type, reason, message)
        .catch(() => {
          // Best effort: a lost event must never fail the scheduling it describes.
        })
        .finally(() => {
          eventsInFlight--;
        });
    },
    get eventsDropped() {
      return eventsDropped;
    },
  };
}
