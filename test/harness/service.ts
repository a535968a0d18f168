// A Service as tests write it: every field set, defaults left to the API server.
import { emptyMeta, type Service, type ServicePort, type ServiceSpec } from "@mk/proto";

export function servicePort(p: Partial<ServicePort> & { port: number }): ServicePort {
  return { name: "", protocol: "", targetPort: "", nodePort: 0, ...p };
}

/** Service `name` in default, selecting app=NAME, with one port 80 → 8080 unless `spec` says otherwise. */
export function serviceObject(name: string, spec: Partial<ServiceSpec> = {}): Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: emptyMeta({ name, namespace: "default" }),
    spec: {
      ports: [servicePort({ port: 80, targetPort: "8080" })],
      selector: { app: name },
      clusterIp: "",
      clusterIps: [],
      type: "",
      sessionAffinity: "",
      publishNotReadyAddresses: false,
      externalTrafficPolicy: "",
      internalTrafficPolicy: "",
      ...spec,
    },
    status: undefined,
  };
}
