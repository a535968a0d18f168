// Where the kubelet reads the ConfigMaps and Secrets its pods refer to: a GET on every pod sync
// (Kubernetes' "Get" change-detection strategy, not its watch-based manager). Every pod is synced at
// least once per resync period (10 s), so a changed object reaches its volumes within that period; a
// sync reads each object once (ConfigReader memoizes) however many containers and volumes use it.
import type { ConfigMap, Secret } from "@mk/proto";
import { type Clientset, isNotFound } from "@mk/proto/client";

export interface ConfigApi {
  /** undefined when it does not exist. */
  configMap(namespace: string, name: string, signal?: AbortSignal): Promise<ConfigMap | undefined>;
  secret(namespace: string, name: string, signal?: AbortSignal): Promise<Secret | undefined>;
}

export function clientConfigApi(cs: Clientset): ConfigApi {
  const get = async <T>(read: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await read();
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };
  return {
    configMap: (namespace, name, signal) => get(() => cs.resource("ConfigMap").get(name, namespace, signal ? { signal } : {})),
    secret: (namespace, name, signal) => get(() => cs.resource("Secret").get(name, namespace, signal ? { signal } : {})),
  };
}

/** A node without an API for them (a test's scripted pod API): every reference is missing. */
export const NO_CONFIG_API: ConfigApi = {
  configMap: async () => undefined,
  secret: async () => undefined,
};

/** The objects one pod sync reads, each fetched once. */
export class ConfigReader {
  private readonly configMaps = new Map<string, Promise<ConfigMap | undefined>>();
  private readonly secrets = new Map<string, Promise<Secret | undefined>>();

  constructor(
    private readonly api: ConfigApi,
    readonly namespace: string,
    private readonly signal?: AbortSignal,
  ) {}

  configMap(name: string): Promise<ConfigMap | undefined> {
    let p = this.configMaps.get(name);
    if (!p) {
      p = this.api.configMap(this.namespace, name, this.signal);
      this.configMaps.set(name, p);
    }
    return p;
  }

  secret(name: string): Promise<Secret | undefined> {
    let p = this.secrets.get(name);
    if (!p) {
      p = this.api.secret(this.namespace, name, this.signal);
      this.secrets.set(name, p);
    }
    return p;
  }
}
