// Kubernetes' protobuf request bodies (what client-go's typed clients send: `kubectl create
// deployment`, drain's Eviction) read into Kubernetes' JSON, with gogo's empty fields dropped and
// unknown non-empty fields refused by number.
import assert from "node:assert/strict";
import { test } from "node:test";
import { protobufToJson } from "@mk/apiserver/rest/protobuf.js";

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}
const bytes = (n: number, body: number[]) => [...varint((n << 3) | 2), ...varint(body.length), ...body];
const str = (n: number, s: string) => bytes(n, [...Buffer.from(s)]);
const int = (n: number, v: number) => [...varint(n << 3), ...varint(v)];
const entry = (n: number, k: string, v: string) => bytes(n, [...str(1, k), ...str(2, v)]);

function envelope(apiVersion: string, kind: string, raw: number[]): Uint8Array {
  return Uint8Array.from([0x6b, 0x38, 0x73, 0x00, ...bytes(1, [...str(1, apiVersion), ...str(2, kind)]), ...bytes(2, raw)]);
}

test("a Deployment as kubectl create deployment sends it: empty fields dropped, the rest named", () => {
  const meta = [...str(1, "web"), ...str(2, ""), ...str(3, ""), ...int(7, 0), ...bytes(8, []), ...entry(11, "app", "web")];
  const container = [...str(1, "web"), ...str(2, "mk/web:v1"), ...str(5, ""), ...bytes(8, []), ...str(14, ""), ...int(16, 0), ...bytes(6, [...int(3, 8080), ...str(4, "TCP")])];
  const podSpec = [...bytes(2, container), ...str(3, ""), ...int(11, 0), ...bytes(14, [])];
  const spec = [...int(1, 3), ...bytes(2, entry(1, "app", "web")), ...bytes(3, [...bytes(1, entry(11, "app", "web")), ...bytes(2, podSpec)]), ...bytes(4, str(1, "")), ...int(5, 0)];
  const json = protobufToJson(envelope("apps/v1", "Deployment", [...bytes(1, meta), ...bytes(2, spec), ...bytes(3, [...int(1, 0)])]));
  assert.deepEqual(json, {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", labels: { app: "web" } },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: "web" } },
      template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image: "mk/web:v1", resources: {}, ports: [{ containerPort: 8080, protocol: "TCP" }] }] } },
      strategy: {},
    },
  });
});

test("an Eviction with its delete options; IntOrString and timestamps in their JSON forms", () => {
  const json = protobufToJson(envelope("policy/v1", "Eviction", [...bytes(1, [...str(1, "p"), ...str(3, "ns")]), ...bytes(2, [...int(1, 30), ...bytes(2, str(1, "u1"))])]));
  assert.deepEqual(json, { apiVersion: "policy/v1", kind: "Eviction", metadata: { name: "p", namespace: "ns" }, deleteOptions: { gracePeriodSeconds: 30, preconditions: { uid: "u1" } } });
  const rolling = [...bytes(1, [...int(1, 1), ...str(3, "25%")]), ...bytes(2, [...int(1, 0), ...int(2, 2)])];
  const d = protobufToJson(envelope("apps/v1", "Deployment", [...bytes(1, [...str(1, "x"), ...bytes(8, [...int(1, 1_700_000_000)])]), ...bytes(2, bytes(4, [...str(1, "RollingUpdate"), ...bytes(2, rolling)]))]));
  assert.deepEqual(d.spec, { strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "25%", maxSurge: 2 } } });
  assert.equal((d.metadata as { creationTimestamp: string }).creationTimestamp, "2023-11-14T22:13:20Z");
});

test("refused: a non-empty field mk does not read (by number and path), a kind it does not read, no envelope", () => {
  const withAffinity = envelope("apps/v1", "Deployment", bytes(2, bytes(3, bytes(2, bytes(18, str(1, "x"))))));
  assert.throws(() => protobufToJson(withAffinity), /field 18 of PodSpec at spec\.template\.spec/);
  assert.throws(() => protobufToJson(envelope("v1", "Pod", [])), /not Pod: send JSON/);
  assert.throws(() => protobufToJson(Buffer.from("{}")), /envelope/);
});
