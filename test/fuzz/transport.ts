// How a case reaches the API server. gRPC is the one transport today; the HTTP API, once it
// exists, is a second implementation of `Transport` that encodes `FuzzCase.request` as JSON (and
// skips, or replaces with its own, the cases whose damage is in protobuf bytes).
import { Client, credentials, type ServiceError, status } from "@grpc/grpc-js";
import { encodeRequest, type FuzzCase } from "./generator.js";

export interface Outcome {
  /** The server answered OK (or a watch started streaming): the fault got through. */
  accepted: boolean;
  /** The status name (INVALID_ARGUMENT …), or "OK". */
  code: string;
  message: string;
}

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
  return { accepted: false, code: status[err.code] ?? String(err.code), message: err.details || err.message };
}

/** Raw bytes to mk.v1.Resources through grpc-js's generic client: no client-side encoding or checks. */
export class GrpcTransport implements Transport {
  readonly name = "grpc";
  private readonly client: Client;

  constructor(address: string, private readonly timeoutMs = 30_000) {
    this.client = new Client(address, credentials.createInsecure(), {
      "grpc.max_send_message_length": 64 * 1024 * 1024,
      "grpc.max_receive_message_length": 64 * 1024 * 1024,
    });
  }

  carries(): boolean {
    return true;
  }

  send(c: FuzzCase): Promise<Outcome> {
    const body = Buffer.from(c.protobuf ?? encodeRequest(c.request));
    const path = `/mk.v1.Resources/${c.request.method}`;
    const deadline = Date.now() + this.timeoutMs;
    if (c.request.method === "Watch") return this.watch(path, body, deadline);
    return new Promise((resolve) => {
      this.client.makeUnaryRequest(path, identity, identity, body, { deadline }, (err, res) => {
        if (err) resolve(refused(err));
        else resolve({ accepted: true, code: "OK", message: `answered ${res?.length ?? 0} bytes` });
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
      const timer = setTimeout(() => settle({ accepted: true, code: "OK", message: "the watch started" }), WATCH_SETTLE_MS);
      call.on("data", () => settle({ accepted: true, code: "OK", message: "the watch sent an event" }));
      call.on("error", (err: ServiceError) => settle(refused(err)));
      call.on("end", () => settle({ accepted: true, code: "OK", message: "the watch ended without an error" }));
    });
  }

  close(): void {
    this.client.close();
  }
}
