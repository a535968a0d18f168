// How a case reaches the API server: over gRPC (raw bytes to mk.v1.Resources, wire faults
// included) or over the Kubernetes HTTP/JSON API (the case's `http` request, http-cases.ts), both on
// the one TLS address of the front door.
import { type ChannelCredentials, Client, type ServiceError, status } from "@grpc/grpc-js";
import { Agent, request } from "node:https";
import { encodeRequest, type FuzzCase } from "./generator.js";
import type { HttpCall } from "./http-call.js";

export interface Outcome {
  /** The server answered OK (or a watch started streaming): the fault got through. */
  accepted: boolean;
  /** A refusal of the request (not the server failing): a gRPC refusal code, an HTTP 4xx Status. */
  refusal: boolean;
  /** The status name (INVALID_ARGUMENT …, "HTTP 422 Invalid"), or "OK". */
  code: string;
  /** HTTP's status code. */
  status?: number;
  /** The message; over HTTP with each cause's field and message after it. */
  message: string;
}

/**
 * The statuses a refusal may carry: INVALID_ARGUMENT (a field error, a wire fault, a bad selector),
 * FAILED_PRECONDITION (Kubernetes' BadRequest: an unknown kind, no scale subresource), ABORTED (a
 * delete's precondition failed) and OUT_OF_RANGE (Kubernetes' Expired: a continue token that is
 * not one). Anything else (INTERNAL, UNKNOWN, UNAVAILABLE, a deadline) is the server failing, not
 * refusing, and counts as a failure whatever its message says.
 */
export const REFUSAL_CODES: ReadonlySet<string> = new Set(["INVALID_ARGUMENT", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE"]);

export interface Transport {
  readonly name: string;
  /** Whether the transport can carry the case at all. */
  carries(c: FuzzCase): boolean;
  send(c: FuzzCase): Promise<Outcome>;
  close(): void;
}

const identity = (b: Buffer) => b;
/**
 * A refused watch answers at once; one still silent after this has been accepted. Generous: on a
 * loaded machine, behind requests of 2 MiB strings and 20 000 labels, "at once" took over 2 s.
 */
const WATCH_SETTLE_MS = 15_000;

function refused(err: ServiceError): Outcome {
  const code = status[err.code] ?? String(err.code);
  return { accepted: false, refusal: REFUSAL_CODES.has(code), code, message: err.details || err.message };
}

/** Raw bytes to mk.v1.Resources through grpc-js's generic client: no client-side encoding or checks. */
export class GrpcTransport implements Transport {
  readonly name = "grpc";
  private readonly client: Client;

  constructor(address: string, creds: ChannelCredentials, private readonly timeoutMs = 30_000) {
    this.client = new Client(address, creds, {
      "grpc.max_send_message_length": 64 * 1024 * 1024,
      "grpc.max_receive_message_length": 64 * 1024 * 1024,
    });
  }

  carries(c: FuzzCase): boolean {
    return c.request !== undefined && c.http === undefined;
  }

  send(c: FuzzCase): Promise<Outcome> {
    if (!c.request) throw new Error(`case ${c.id} has no gRPC request`);
    const body = Buffer.from(c.protobuf ?? encodeRequest(c.request));
    const path = `/mk.v1.Resources/${c.request.method}`;
    const deadline = Date.now() + this.timeoutMs;
    if (c.request.method === "Watch") return this.watch(path, body, deadline);
    return new Promise((resolve) => {
      this.client.makeUnaryRequest(path, identity, identity, body, { deadline }, (err, res) => {
        if (err) resolve(refused(err));
        else resolve({ accepted: true, refusal: false, code: "OK", message: `answered ${res?.length ?? 0} bytes` });
      });
    });
  }

  private watch(path: string, body: Buffer, deadline: number): Promise<Outcome> {
    return new Promise((resolve) => {
      const call = this.client.makeServerStreamRequest(path, identity, identity, body, { deadline });
      let settled = false;
      const settle = (o: Outcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(o);
        call.cancel();
      };
      const timer = setTimeout(() => settle({ accepted: true, refusal: false, code: "OK", message: "the watch started" }), WATCH_SETTLE_MS);
      call.on("data", () => settle({ accepted: true, refusal: false, code: "OK", message: "the watch sent an event" }));
      call.on("error", (err: ServiceError) => settle(refused(err)));
      call.on("end", () => settle({ accepted: true, refusal: false, code: "OK", message: "the watch ended without an error" }));
    });
  }

  close(): void {
    this.client.close();
  }
}

interface StatusBody {
  kind?: string;
  status?: string;
  code?: number;
  reason?: string;
  message?: string;
  details?: { causes?: { field?: string; message?: string }[] };
}

/**
 * The case's HTTP request over HTTPS/1.1 (no ALPN `h2`: the front door hands it to the HTTP edge),
 * keep-alive. A 2xx is accepted (a watch: its 200, at once); a 4xx whose body is a metav1.Status with
 * the same code is a refusal; anything else (5xx, a reset connection, a body that is no Status) is
 * the server failing.
 */
export class HttpTransport implements Transport {
  readonly name = "http";
  private readonly agent: Agent;

  constructor(private readonly address: string, ca: Buffer, private readonly timeoutMs = 30_000) {
    this.agent = new Agent({ keepAlive: true, ca, maxSockets: 16 });
  }

  carries(c: FuzzCase): boolean {
    return c.http !== undefined;
  }

  async send(c: FuzzCase): Promise<Outcome> {
    const call = c.http;
    if (!call) throw new Error(`case ${c.id} has no HTTP request`);
    // A kept-alive connection the server closed as idle just as the request went out: node's
    // documented race, the client's, not the server's answer. Sent again (a few times: the next
    // idle connection may be closing too).
    let o = await this.attempt(call);
    for (let i = 0; o.stale && i < 3; i++) o = await this.attempt(call);
    return o;
  }

  private attempt(call: HttpCall): Promise<Outcome & { stale?: boolean }> {
    const [host, port] = [this.address.slice(0, this.address.lastIndexOf(":")), Number(this.address.slice(this.address.lastIndexOf(":") + 1))];
    return new Promise((resolve) => {
      let settled = false;
      const settle = (o: Outcome & { stale?: boolean }) => {
        if (settled) return;
        settled = true;
        resolve(o);
      };
      const headers: Record<string, string | number> = { accept: "application/json" };
      if (call.contentType) headers["content-type"] = call.contentType;
      if (call.body) headers["content-length"] = call.body.length;
      const req = request({ host, port, method: call.method, path: call.path, headers, agent: this.agent, timeout: this.timeoutMs }, (res) => {
        const code = res.statusCode ?? 0;
        if (call.watch && code === 200) {
          settle({ accepted: true, refusal: false, code: "OK", status: code, message: "the watch started" });
          res.destroy();
          return;
        }
        const chunks: Buffer[] = [];
        res.on("data", (d: Buffer) => chunks.push(d));
        res.on("error", (err) => settle({ accepted: false, refusal: false, code: "RESET", message: err.message }));
        res.on("end", () => settle(outcomeOf(code, Buffer.concat(chunks).toString("utf8"))));
      });
      req.on("timeout", () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on("error", (err: NodeJS.ErrnoException) =>
        settle({ accepted: false, refusal: false, code: "NO ANSWER", message: err.message, stale: req.reusedSocket && err.code === "ECONNRESET" }),
      );
      req.end(call.body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function outcomeOf(code: number, text: string): Outcome {
  if (code >= 200 && code < 300) return { accepted: true, refusal: false, code: "OK", status: code, message: `answered ${code}` };
  let s: StatusBody | undefined;
  try {
    s = JSON.parse(text) as StatusBody;
  } catch {
    s = undefined;
  }
  const isStatus = s?.kind === "Status" && s.status === "Failure" && s.code === code;
  const causes = (s?.details?.causes ?? []).map((c) => `${c.field ?? ""}: ${c.message ?? ""}`).join("; ");
  return {
    accepted: false,
    refusal: isStatus && code >= 400 && code < 500,
    code: `HTTP ${code}${s?.reason ? ` ${s.reason}` : ""}`,
    status: code,
    message: isStatus ? `${s?.message ?? ""}${causes ? ` [causes: ${causes}]` : ""}` : `not a Status: ${text.slice(0, 200)}`,
  };
}
