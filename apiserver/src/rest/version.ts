// /version as Kubernetes' version.Info: the Kubernetes minor mk follows (version-skew checks and
// kubectl dispatchers pick a client by it), with mk's own version in gitVersion's build metadata.
import type { VersionInfo } from "@mk/proto";
import type { JsonObject } from "@mk/proto/api";

/** The Kubernetes release whose API and behaviour mk follows. */
export const KUBERNETES_MAJOR = "1";
export const KUBERNETES_MINOR = "32";

export function kubernetesVersion(info: VersionInfo): JsonObject {
  return {
    major: KUBERNETES_MAJOR,
    minor: KUBERNETES_MINOR,
    gitVersion: `v${KUBERNETES_MAJOR}.${KUBERNETES_MINOR}.0+mk-${info.gitVersion.replace(/^v/, "")}`,
    gitCommit: "",
    gitTreeState: "",
    buildDate: "",
    goVersion: info.nodeVersion,
    compiler: "node",
    platform: info.platform,
  };
}
