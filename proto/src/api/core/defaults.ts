// Pod defaults that both sides need: the API server writes them into every pod spec it stores, and
// the kubelet falls back to the same values for a spec that lacks them (an object written before a
// default existed, or a test's hand-made pod). One table, so the two can never disagree.
import type { Container } from "../../gen/mk/v1/core.js";

export const PULL_POLICIES = ["Always", "IfNotPresent", "Never"] as const;
export type PullPolicy = (typeof PULL_POLICIES)[number];

export const RESTART_POLICIES = ["Always", "OnFailure", "Never"] as const;
export type RestartPolicy = (typeof RESTART_POLICIES)[number];

export const DEFAULT_RESTART_POLICY: RestartPolicy = "Always";
/** spec.terminationGracePeriodSeconds when unset, as Kubernetes. */
export const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30;
export const DEFAULT_SCHEDULER_NAME = "default-scheduler";

/** A probe's timing fields when unset (initialDelaySeconds defaults to 0). */
export const PROBE_DEFAULTS = { timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 } as const;

/** The image's tag: "web:v1" → "v1", "127.0.0.1:5000/web" → "" (the colon is the registry's port), "web@sha256:…" → "@". */
export function imageTag(image: string): string {
  if (image.includes("@")) return "@";
  const lastSlash = image.lastIndexOf("/");
  const colon = image.indexOf(":", lastSlash + 1);
  return colon < 0 ? "" : image.slice(colon + 1);
}

/** Kubernetes' default: Always for `:latest` or no tag, else IfNotPresent (a digest pins the image). */
export function defaultPullPolicy(image: string): PullPolicy {
  const tag = imageTag(image);
  return tag === "" || tag === "latest" ? "Always" : "IfNotPresent";
}

/** The container's pull policy: its own when it is one of the three, else the default for its image. */
export function pullPolicyOf(c: Readonly<Pick<Container, "image" | "imagePullPolicy">>): PullPolicy {
  const p = c.imagePullPolicy;
  return (PULL_POLICIES as readonly string[]).includes(p) ? (p as PullPolicy) : defaultPullPolicy(c.image);
}

/** The pod's restart policy, defaulted. */
export function restartPolicyOf(spec: { readonly restartPolicy: string } | undefined): string {
  return spec?.restartPolicy || DEFAULT_RESTART_POLICY;
}
