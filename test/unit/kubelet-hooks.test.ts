// Lifecycle hooks' pure parts: the preStop grace arithmetic (the hook's whole seconds come out of the
// grace period, at least 2 s are left, a hook past the grace period is cut short) and Kubernetes'
// failure messages, with a runtime whose exec is scripted.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runHook } from "@mk/kubelet/lifecycle/hooks.js";
import { MINIMUM_GRACE_SECONDS, runPreStop } from "@mk/kubelet/lifecycle/pre-stop.js";
import type { ContainerRuntime, OutputFrame } from "@mk/kubelet/runtime/runtime.js";
import { Container, emptyMeta, Pod } from "@mk/proto";

const pod = Pod.fromPartial({ metadata: emptyMeta({ name: "web", namespace: "shop", uid: "u-1" }) });
const container = Container.fromPartial({ name: "app", image: "mk/busybox:1", ports: [{ name: "http", containerPort: 8080 }] });

/** A runtime whose exec writes `stderr` and exits with `code`; nothing else is called. */
function execRuntime(code: number, stderr = "", stdout = ""): ContainerRuntime {
  const rt: Pick<ContainerRuntime, "exec"> = {
    exec: async (_id: string, _cmd: string[], onOutput: (f: OutputFrame) => void) => {
      if (stdout) onOutput({ stream: "stdout", data: Buffer.from(stdout) });
      if (stderr) onOutput({ stream: "stderr", data: Buffer.from(stderr) });
      return { exitCode: code };
    },
  };
  return rt as ContainerRuntime;
}

const target = (rt: ContainerRuntime, podIp = "") => ({ rt, pod, container, containerId: "c1", podIp });

test("preStop: the hook's whole seconds come out of the grace period, at least 2 s stay", async () => {
  let now = 1_000;
  const tick = (ms: number) => () => {
    const t = now;
    now += ms;
    return t;
  };
  // The clock reads 5.7 s later at the end: 5 whole seconds are taken.
  const a = await runPreStop({ sleep: { seconds: 0 } }, target(execRuntime(0)), 30, tick(5_700));
  assert.deepEqual(a, { remainingSeconds: 25, result: { ok: true } });
  const b = await runPreStop({ sleep: { seconds: 0 } }, target(execRuntime(0)), 4, tick(3_000));
  assert.equal(b.remainingSeconds, MINIMUM_GRACE_SECONDS, "never under 2 s");
  assert.equal(MINIMUM_GRACE_SECONDS, 2);
});

test("preStop: a hook still running when the grace period ends is cut short, without a failure", async () => {
  const t0 = Date.now();
  const out = await runPreStop({ sleep: { seconds: 600 } }, target(execRuntime(0)), 1);
  const took = Date.now() - t0;
  assert.ok(took >= 900 && took < 5_000, `waited the 1 s grace period (${took} ms)`);
  assert.equal(out.result, undefined, "not reported as failed: it ran out of time");
  assert.equal(out.remainingSeconds, MINIMUM_GRACE_SECONDS);
});

test("hook failures carry Kubernetes' messages", async () => {
  const exec = await runHook({ exec: { command: ["sh", "-c", "exit 3"] } }, target(execRuntime(3, "boom\n", "out\n")), AbortSignal.timeout(5_000));
  assert.deepEqual(exec, {
    ok: false,
    message: `Exec lifecycle hook ([sh -c exit 3]) for Container "app" in Pod "web_shop(u-1)" failed - error: command 'sh -c exit 3' exited with 3: boom\n, message: "out\\nboom\\n"`,
  });
  assert.deepEqual(await runHook({ exec: { command: ["true"] } }, target(execRuntime(0)), AbortSignal.timeout(5_000)), { ok: true });
  const port = await runHook({ httpGet: { path: "/x", port: "nope", host: "", scheme: "", httpHeaders: [] } }, target(execRuntime(0), "10.0.0.1"), AbortSignal.timeout(5_000));
  assert.deepEqual(port, { ok: false, message: `HTTP lifecycle hook (/x) for Container "app" in Pod "web_shop(u-1)" failed - error: couldn't find port: nope in container app` });
  const noIp = await runHook({ httpGet: { path: "/x", port: "http", host: "", scheme: "", httpHeaders: [] } }, target(execRuntime(0), ""), AbortSignal.timeout(5_000));
  assert.match(noIp.ok ? "" : noIp.message, /failed - error: failed to find networking container/);
  const slept = await runHook({ sleep: { seconds: 60 } }, target(execRuntime(0)), AbortSignal.timeout(50));
  assert.deepEqual(slept, { ok: false, message: `Sleep lifecycle hook (60) for Container "app" in Pod "web_shop(u-1)" failed - error: container terminated before sleep hook finished` });
});
