// Where the kubelet reads the ConfigMaps and Secrets its pods refer to: a GET on every pod sync
// (Kubernetes' "Get" change-detection strategy, not its watch-based manager). Every pod is synced at
// least once per resync period (10 s), so a changed object reaches its volumes within that period; a
// sync reads each object once (ConfigReader memoizes) however many containers and volumes use it.
import type { ConfigMap, Secret, Service } from "@mk/proto";
import { type Clientset, isNotFound } from "@mk/proto/client";

export interface ConfigApi {
  /** undefined when it does not exist. */
  configMap(namespace: string, name: string, signal?: AbortSignal): Promise<ConfigMap | undefined>;
  secret(namespace: string, name: string, signal?: AbortSignal): Promise<Secret | undefined>;
  /**
   * The Services of a namespace, for the containers' Service variables (read when a container is
   * created, as Kubernetes' kubelet reads its Service cache then). Absent: no Service variables, as
   * for a kubelet without an API server.
   */
  services?(namespace: string, signal?: AbortSignal): Promise<Service[]>;
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
    services: async (namespace, signal) => (await cs.services.list({ namespace, ...(signal ? { signal } : {}) })).items,
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
  private serviceList: Promise<Service[]> | undefined;

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

  /** The Services of the pod's namespace and of default (where `kubernetes` is), read once; [] without an API. */
  services(): Promise<Service[]> {
    const api = this.api;
    if (!api.services) return Promise.resolve([]);
    this.serviceList ??= (async () => {
      const namespaces = this.namespace === "default" ? ["default"] : [this.namespace, "default"];
      return (await Promise.all(namespaces.map((ns) => api.services?.(ns, this.signal) ?? Promise.resolve([])))).flat();
    })();
    return this.serviceList;
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
