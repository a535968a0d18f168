// Event: what happened to an object; stored with a lease so that it expires (--event-ttl).
import type { Event } from "@mk/proto";
import type { Strategy } from "./strategy.js";
import { type Errors, invalid, nonNegative, required, unsupported } from "./validation.js";

const EVENT_TYPES = ["Normal", "Warning"];

export const eventStrategy: Strategy<"Event"> = {
  kind: "Event",
  nameRule: "subdomain",
  hasStatus: false,
  defaults(ev: Event) {
    if (ev.count === 0) ev.count = 1;
    const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    ev.firstTimestamp ||= ev.lastTimestamp || now;
    ev.lastTimestamp ||= ev.firstTimestamp;
  },
  prepareForCreate() {},
  validate(ev: Event) {
    const errs: Errors = [];
    const io = ev.involvedObject;
    if (!io) errs.push(required("involvedObject"));
    else {
      if (!io.kind) errs.push(required("involvedObject.kind"));
      if (!io.name) errs.push(required("involvedObject.name"));
      if (io.namespace && ev.metadata && io.namespace !== ev.metadata.namespace) {
        errs.push(invalid("involvedObject.namespace", io.namespace, "does not match event.namespace"));
      }
    }
    if (ev.type && !EVENT_TYPES.includes(ev.type)) errs.push(unsupported("type", ev.type, EVENT_TYPES));
    nonNegative("count", ev.count, errs);
    return errs;
  },
  validateUpdate() {
    return [];
  },
};
