// Failed calls answer in HTTP/2 trailers, and a peer drops the whole connection (every call on it)
// when a header block passes its limit: 64 KiB in Node's http2. An error can be far larger: an
// object of 2 000 containers with one name is 2 000 field errors, and a 2 MiB label value comes
// back quoted in its error. This interceptor cuts every status to fit, keeping the start of the
// message (the first fields it names) and valid JSON in the causes; a status that fits, which is
// every status a valid client has ever seen, passes unchanged.
import { type Metadata, type ServerInterceptor, ServerInterceptingCall, type StatusObject } from "@grpc/grpc-js";

/** What an interceptor's sendStatus carries (grpc-js does not export the name). */
type PartialStatusObject = Pick<StatusObject, "code" | "details"> & { metadata?: Metadata | null };

/** The message's share of the trailers (the causes get as much again): both together stay well under 64 KiB. */
export const MAX_STATUS_DETAILS = 16 * 1024;
/** A rejected value quoted in a cause is cut to this many characters. */
export const MAX_CAUSE_VALUE = 256;
const CAUSES_KEY = "mk-causes";

/** The message cut to `max` characters, saying how much was left out. */
export function capDetails(details: string, max = MAX_STATUS_DETAILS): string {
  if (details.length <= max) return details;
  const note = ` ... (${details.length - max} more characters)`;
  return details.slice(0, max - note.length) + note;
}

interface Cause {
  field?: unknown;
  value?: unknown;
  [key: string]: unknown;
}

/** The causes (a JSON array of field errors) with long values cut and as many causes as fit. */
export function capCauses(json: string, max = MAX_STATUS_DETAILS): string {
  if (json.length <= max) return json;
  let causes: Cause[];
  try {
    causes = JSON.parse(json) as Cause[];
  } catch {
    return "[]"; // not ours to repair: the message still names the fields
  }
  if (!Array.isArray(causes)) return "[]";
  const kept: Cause[] = [];
  let size = 2;
  for (const c of causes) {
    const cut = typeof c.value === "string" && c.value.length > MAX_CAUSE_VALUE ? { ...c, value: `${c.value.slice(0, MAX_CAUSE_VALUE)}...` } : c;
    const s = JSON.stringify(cut).length + 1;
    if (size + s > max) break;
    kept.push(cut);
    size += s;
  }
  return JSON.stringify(kept);
}

function capStatus(status: PartialStatusObject): PartialStatusObject {
  const details = capDetails(status.details);
  const raw = status.metadata?.get(CAUSES_KEY)[0];
  if (details === status.details && (typeof raw !== "string" || raw.length <= MAX_STATUS_DETAILS)) return status;
  let metadata: Metadata | null | undefined = status.metadata;
  if (metadata && typeof raw === "string") {
    metadata = metadata.clone();
    metadata.set(CAUSES_KEY, capCauses(raw));
  }
  return { ...status, details, metadata };
}

export function statusLimitInterceptor(): ServerInterceptor {
  return (_method, call) => new ServerInterceptingCall(call, { sendStatus: (status, next) => next(capStatus(status)) });
}
