import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type ServerWritableStream, Server, ServerCredentials, status } from "@grpc/grpc-js";
import { emptyMeta, type ExecOutput, type ExecRequest, KubeletService, type LogChunk, type LogsRequest } from "@mk/proto";
import { type Clientset, connect } from "@mk/proto/client";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";
import { failure, pod } from "./fixtures.js";

let api: TestApiServer;
let cs: Clientset;
let kubelet: Server;
let kubeletPort: number;
const seen: LogsRequest[] = [];

before(async () => {
  api = await startTestApiServer();
  cs = connect({ server: api.address, retry: { attempts: 1 } });
  // A stand-in for a node's kubelet gRPC server.
  kubelet = new Server();
  kubelet.addService(KubeletService, {
    logs(call: ServerWritableStream<LogsRequest, LogChunk>) {
      seen.push(call.request);
      call.write({ data: Buffer.from(`hello from ${call.request.pod}\n`), stream: "stdout" });
      call.write({ data: Buffer.from("oops\n"), stream: "stderr" });
      call.end();
    },
    exec(call: ServerWritableStream<ExecRequest, ExecOutput>) {
      call.write({ stdout: Buffer.from(call.request.command.join(" ")), stderr: Buffer.alloc(0) });
      call.write({ stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), exitCode: 3 });
      call.end();
    },
  });
  kubeletPort = await new Promise<number>((resolve, reject) =>
    kubelet.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
  );
  await cs.nodes.create({
    apiVersion: "v1",
    kind: "Node",
    metadata: emptyMeta({ name: "n1" }),
    status: {
      capacity: { cpu: "2", memory: "4Gi", pods: "110" },
      allocatable: { cpu: "2", memory: "4Gi", pods: "110" },
      conditions: [],
      addresses: [{ type: "InternalIP", address: "127.0.0.1" }],
      daemonEndpoints: { kubeletEndpoint: { port: kubeletPort } },
    },
  });
});
after(async () => {
  cs?.close();
  kubelet?.forceShutdown();
  await api?.stop();
});

test("logs are proxied to the pod's kubelet", async () => {
  await cs.pods.create(pod("logged"));
  await cs.bind("default", "logged", "n1");
  const chunks: LogChunk[] = [];
  for await (const c of cs.logs({ namespace: "default", pod: "logged", container: "web", tailLines: 10 })) chunks.push(c);
  assert.deepEqual(
    chunks.map((c) => `${c.stream}:${Buffer.from(c.data).toString()}`),
    ["stdout:hello from logged\n", "stderr:oops\n"],
  );
  assert.equal(seen.at(-1)?.tailLines, 10);
});

test("exec is proxied and ends with the exit code", async () => {
  await cs.pods.create(pod("execd"));
  await cs.bind("default", "execd", "n1");
  const out: ExecOutput[] = [];
  for await (const o of cs.exec({ namespace: "default", pod: "execd", command: ["echo", "hi"] })) out.push(o);
  assert.equal(Buffer.from(out[0]?.stdout ?? []).toString(), "echo hi");
  assert.equal(out.at(-1)?.exitCode, 3);
});

test("a pod not bound to a node has no logs yet", async () => {
  await cs.pods.create(pod("pending"));
  const e = await failure(async () => {
    for await (const _ of cs.logs({ namespace: "default", pod: "pending" })) {
      // nothing expected
    }
  });
  assert.equal(e.code, status.FAILED_PRECONDITION);
  assert.equal(e.message, "pod pending does not have a host assigned");
  const c = await failure(async () => {
    await cs.pods.create(pod("one-container"));
    await cs.bind("default", "one-container", "n1");
    for await (const _ of cs.logs({ namespace: "default", pod: "one-container", container: "nope" })) {
      // nothing expected
    }
  });
  assert.match(c.message, /container nope is not valid for pod one-container/);
});
