// EventRecorder: writes Events about an object, as client-go's recorder does. A repeated event
// (same object, type, reason, message, component) bumps `count` and lastTimestamp of one Event
// instead of writing another: its name is a hash of those fields, so the create collides.
import { createHash } from "node:crypto";
import type { ObjectMeta } from "../gen/mk/v1/meta.js";
import { Event } from "../gen/mk/v1/core.js";
import { emptyMeta } from "../api/kinds.js";
import type { Clientset } from "./clientset.js";
import { AlreadyExistsError, NotFoundError } from "./errors.js";
import { retryOnConflict } from "./retry.js";

export type EventType = "Normal" | "Warning";

export interface EventSubject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta | undefined;
}

export interface EventSourceInfo {
  component: string;
  host?: string;
}

export class EventRecorder {
  private readonly cs: Clientset;
  private readonly source: EventSourceInfo;
  private readonly onError: (err: unknown) => void;
  private readonly now: () => Date;

  constructor(cs: Clientset, source: EventSourceInfo, opts: { onError?: (err: unknown) => void; now?: () => Date } = {}) {
    this.cs = cs;
    this.source = source;
    // An event is best effort: losing one must never fail the work it describes.
    this.onError = opts.onError ?? (() => {});
    this.now = opts.now ?? (() => new Date());
  }

  /** Records without waiting; failures go to onError. */
  event(kind: string, subject: EventSubject, type: EventType, reason: string, message: string): void {
    this.record(kind, subject, type, reason, message).catch(this.onError);
  }

  async record(kind: string, subject: EventSubject, type: EventType, reason: string, message: string): Promise<Event> {
    const m = subject.metadata ?? emptyMeta();
    const namespace = m.namespace || "default";
    const hash = createHash("sha1")
      .update([kind, m.namespace, m.name, m.uid, type, reason, message, this.source.component, this.source.host ?? ""].join("\u0000"))
      .digest("hex")
      .slice(0, 16);
    // A name is at most 253 characters: the object's is cut to fit before ".<hash>" (the hash covers
    // the whole name), or events about long-named objects could never be written.
    const name = `${m.name.slice(0, 253 - 1 - hash.length)}.${hash}`;
    const now = this.now().toISOString().replace(/\.\d+Z$/, "Z");
    const ev = Event.fromPartial({
      apiVersion: "v1",
      kind: "Event",
      metadata: emptyMeta({ name, namespace }),
      involvedObject: {
        apiVersion: subject.apiVersion || "",
        kind: subject.kind || kind,
        namespace: m.namespace,
        name: m.name,
        uid: m.uid,
        resourceVersion: "",
        fieldPath: "",
      },
      reason,
      message,
      type,
      source: { component: this.source.component, host: this.source.host ?? "" },
      reportingComponent: this.source.component,
      reportingInstance: this.source.host ?? "",
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    });
    try {
      return await this.cs.events.create(ev);
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
    }
    return await retryOnConflict(async () => {
      let cur: Event;
      try {
        cur = await this.cs.events.get(name, namespace);
      } catch (err) {
        // Expired between our create and get: write it afresh.
        if (err instanceof NotFoundError) return await this.cs.events.create(ev);
        throw err;
      }
      cur.count += 1;
      cur.lastTimestamp = now;
      return await this.cs.events.update(cur);
    });
  }
}
