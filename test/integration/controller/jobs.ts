// Job builders and probes for the Job controller's integration tests.
import { emptyMeta, type Job, type JobSpec, PodSpec } from "@mk/proto";

/** A Job whose pods exit with the `exit` label's code in the fake kubelet (see exitFromLabel). */
export function job(name: string, spec: Partial<JobSpec> = {}, exit = 0, restartPolicy = "Never"): Job {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: emptyMeta({ name, namespace: "default" }),
    spec: {
      selector: undefined,
      completionMode: "",
      template: {
        metadata: emptyMeta({ labels: { app: name, exit: String(exit) } }),
        spec: PodSpec.fromPartial({ containers: [{ name: "work", image: "mk/busybox:1" }], restartPolicy, terminationGracePeriodSeconds: 1 }),
      },
      ...spec,
    },
    status: undefined,
  };
}

/** The fake kubelet's exit code: the pod's `exit` label; pods without it keep running. */
export function exitFromLabel(pod: { metadata?: { labels: Record<string, string> } | undefined }): number | undefined {
  const v = pod.metadata?.labels.exit;
  return v === undefined || v === "" ? undefined : Number(v);
}

export function conditionOf(j: Job, type: string) {
  return j.status?.conditions.find((c) => c.type === type && c.status === "True");
}
