// Field descriptions in Kubernetes' own wording (its types.go comments, as `kubectl explain` prints
// them from a real cluster), for the fields mk supports. Keyed by message (`DeploymentStrategy`) or
// message and JSON field name (`DeploymentSpec.strategy`). The OpenAPI document reads this table
// first and falls back to the .proto file's comment; a field in neither has no description.
// apiVersion, kind, metadata, spec and status of a top-level kind are described by COMMON_FIELDS.

const CONVENTIONS = "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md";

/** The fields every kind has, described the same way for each (`%s` is the kind). */
export const COMMON_FIELDS: { readonly [field: string]: string } = {
  apiVersion: `APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: ${CONVENTIONS}#resources`,
  kind: `Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: ${CONVENTIONS}#types-kinds`,
  metadata: `Standard object's metadata. More info: ${CONVENTIONS}#metadata`,
  spec: `Specification of the desired behavior of the %s. More info: ${CONVENTIONS}#spec-and-status`,
  status: `Most recently observed status of the %s. This data may not be up to date. Populated by the system. Read-only. More info: ${CONVENTIONS}#spec-and-status`,
};

export const FIELD_DOCS: { readonly [messageOrField: string]: string } = {
  // apps/v1 Deployment
  Deployment: "Deployment enables declarative updates for Pods and ReplicaSets.",
  DeploymentSpec: "DeploymentSpec is the specification of the desired behavior of the Deployment.",
  "DeploymentSpec.replicas": "Number of desired pods. This is a pointer to distinguish between explicit zero and not specified. Defaults to 1.",
  "DeploymentSpec.selector":
    "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment. It must match the pod template's labels.",
  "DeploymentSpec.template": 'Template describes the pods that will be created. The only allowed template.spec.restartPolicy value is "Always".',
  "DeploymentSpec.strategy": "The deployment strategy to use to replace existing pods with new ones.",
  "DeploymentSpec.minReadySeconds":
    "Minimum number of seconds for which a newly created pod should be ready without any of its container crashing, for it to be considered available. Defaults to 0 (pod will be considered available as soon as it is ready)",
  "DeploymentSpec.revisionHistoryLimit":
    "The number of old ReplicaSets to retain to allow rollback. This is a pointer to distinguish between explicit zero and not specified. Defaults to 10.",
  "DeploymentSpec.paused": "Indicates that the deployment is paused.",
  "DeploymentSpec.progressDeadlineSeconds":
    "The maximum time in seconds for a deployment to make progress before it is considered to be failed. The deployment controller will continue to process failed deployments and a condition with a ProgressDeadlineExceeded reason will be surfaced in the deployment status. Note that progress will not be estimated during the time a deployment is paused. Defaults to 600s.",
  DeploymentStrategy: "DeploymentStrategy describes how to replace existing pods with new ones.",
  "DeploymentStrategy.type":
    'Type of deployment. Can be "Recreate" or "RollingUpdate". Default is RollingUpdate.\n\nPossible enum values:\n - `"Recreate"` Kill all existing pods before creating new ones.\n - `"RollingUpdate"` Replace the old ReplicaSets by new one using rolling update i.e gradually scale down the old ReplicaSets and scale up the new one.',
  "DeploymentStrategy.rollingUpdate": "Rolling update config params. Present only if DeploymentStrategyType = RollingUpdate.",
  RollingUpdateDeployment: "Spec to control the desired behavior of rolling update.",
  "RollingUpdateDeployment.maxSurge":
    "The maximum number of pods that can be scheduled above the desired number of pods. Value can be an absolute number (ex: 5) or a percentage of desired pods (ex: 10%). This can not be 0 if MaxUnavailable is 0. Absolute number is calculated from percentage by rounding up. Defaults to 25%. Example: when this is set to 30%, the new ReplicaSet can be scaled up immediately when the rolling update starts, such that the total number of old and new pods do not exceed 130% of desired pods. Once old pods have been killed, new ReplicaSet can be scaled up further, ensuring that total number of pods running at any time during the update is at most 130% of desired pods.",
  "RollingUpdateDeployment.maxUnavailable":
    "The maximum number of pods that can be unavailable during the update. Value can be an absolute number (ex: 5) or a percentage of desired pods (ex: 10%). Absolute number is calculated from percentage by rounding down. This can not be 0 if MaxSurge is 0. Defaults to 25%. Example: when this is set to 30%, the old ReplicaSet can be scaled down to 70% of desired pods immediately when the rolling update starts. Once new pods are ready, old ReplicaSet can be scaled down further, followed by scaling up the new ReplicaSet, ensuring that the total number of pods available at all times during the update is at least 70% of desired pods.",
  DeploymentStatus: "DeploymentStatus is the most recently observed status of the Deployment.",
  "DeploymentStatus.observedGeneration": "The generation observed by the deployment controller.",
  "DeploymentStatus.replicas": "Total number of non-terminated pods targeted by this deployment (their labels match the selector).",
  "DeploymentStatus.updatedReplicas": "Total number of non-terminated pods targeted by this deployment that have the desired template spec.",
  "DeploymentStatus.readyReplicas": "readyReplicas is the number of pods targeted by this Deployment with a Ready Condition.",
  "DeploymentStatus.availableReplicas": "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.",
  "DeploymentStatus.unavailableReplicas":
    "Total number of unavailable pods targeted by this deployment. This is the total number of pods that are still required for the deployment to have 100% available capacity. They may either be pods that are running but not yet available or pods that still have not been created.",
  "DeploymentStatus.conditions": "Represents the latest available observations of a deployment's current state.",
  "DeploymentStatus.collisionCount":
    "Count of hash collisions for the Deployment. The Deployment controller uses this field as a collision avoidance mechanism when it needs to create the name for the newest ReplicaSet.",

  // apps/v1 ReplicaSet
  ReplicaSet: "ReplicaSet ensures that a specified number of pod replicas are running at any given time.",
  ReplicaSetSpec: "ReplicaSetSpec is the specification of a ReplicaSet.",
  "ReplicaSetSpec.replicas":
    "Replicas is the number of desired pods. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicaset/#how-a-replicaset-works",
  "ReplicaSetSpec.minReadySeconds":
    "Minimum number of seconds for which a newly created pod should be ready without any of its container crashing, for it to be considered available. Defaults to 0 (pod will be considered available as soon as it is ready)",
  "ReplicaSetSpec.selector":
    "Selector is a label query over pods that should match the replica count. Label keys and values that must match in order to be controlled by this replica set. It must match the pod template's labels. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors",
  "ReplicaSetSpec.template":
    "Template is the object that describes the pod that will be created if insufficient replicas are detected. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicaset/#pod-template",

  // meta/v1
  ObjectMeta: "ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.",
  "ObjectMeta.name":
    "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
  "ObjectMeta.generateName":
    "GenerateName is an optional prefix, used by the server, to generate a unique name ONLY IF the Name field has not been provided. If this field is used, the name returned to the client will be different than the name passed. This value will also be combined with a unique suffix. The provided value has the same validation rules as the Name field, and may be truncated by the length of the suffix required to make the value unique on the server.",
  "ObjectMeta.namespace":
    'Namespace defines the space within which each name must be unique. An empty namespace is equivalent to the "default" namespace, but "default" is the canonical representation. Not all objects are required to be scoped to a namespace - the value of this field for those objects will be empty.\n\nMust be a DNS_LABEL. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces',
  "ObjectMeta.uid":
    "UID is the unique in time and space value for this object. It is typically generated by the server on successful creation of a resource and is not allowed to change on PUT operations.\n\nPopulated by the system. Read-only. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#uids",
  "ObjectMeta.resourceVersion": `An opaque value that represents the internal version of this object that can be used by clients to determine when objects have changed. May be used for optimistic concurrency, change detection, and the watch operation on a resource or set of resources. Clients must treat these values as opaque and passed unmodified back to the server. They may only be valid for a particular resource or set of resources.\n\nPopulated by the system. Read-only. Value must be treated as opaque by clients and . More info: ${CONVENTIONS}#concurrency-control-and-consistency`,
  "ObjectMeta.generation": "A sequence number representing a specific generation of the desired state. Populated by the system. Read-only.",
  "ObjectMeta.labels":
    "Map of string keys and values that can be used to organize and categorize (scope and select) objects. May match selectors of replication controllers and services. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels",
  "ObjectMeta.annotations":
    "Annotations is an unstructured key value map stored with a resource that may be set by external tools to store and retrieve arbitrary metadata. They are not queryable and should be preserved when modifying objects. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/annotations",
  "ObjectMeta.ownerReferences":
    "List of objects depended by this object. If ALL objects in the list have been deleted, this object will be garbage collected. If this object is managed by a controller, then an entry in this list will point to this controller, with the controller field set to true. There cannot be more than one managing controller.",
  "ObjectMeta.finalizers":
    "Must be empty before the object is deleted from the registry. Each entry is an identifier for the responsible component that will remove the entry from the list. If the deletionTimestamp of the object is non-nil, entries in this list can only be removed. Finalizers may be processed and removed in any order.  Order is NOT enforced because it introduces significant risk of stuck finalizers. finalizers is a shared field, any actor with permission can reorder it. If the finalizer list is processed in order, then this can lead to a situation in which the component responsible for the first finalizer in the list is waiting for a signal (field value, external system, or other) produced by a component responsible for a finalizer later in the list, resulting in a deadlock. Without enforced ordering finalizers are free to order amongst themselves and are not vulnerable to ordering changes in the list.",
  "ObjectMeta.creationTimestamp": `CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: ${CONVENTIONS}#metadata`,
  "ObjectMeta.deletionTimestamp": `DeletionTimestamp is RFC 3339 date and time at which this resource will be deleted. This field is set by the server when a graceful deletion is requested by the user, and is not directly settable by a client. The resource is expected to be deleted (no longer visible from resource lists, and not reachable by name) after the time in this field, once the finalizers list is empty. As long as the finalizers list contains items, deletion is blocked. Once the deletionTimestamp is set, this value may not be unset or be set further into the future, although it may be shortened or the resource may be deleted prior to this time.\n\nPopulated by the system when a graceful deletion is requested. Read-only. More info: ${CONVENTIONS}#metadata`,
  "ObjectMeta.deletionGracePeriodSeconds":
    "Number of seconds allowed for this object to gracefully terminate before it will be removed from the system. Only set when deletionTimestamp is also set. May only be shortened. Read-only.",
  LabelSelector:
    "A label selector is a label query over a set of resources. The result of matchLabels and matchExpressions are ANDed. An empty label selector matches all objects. A null label selector matches no objects.",
  "LabelSelector.matchLabels":
    'matchLabels is a map of {key,value} pairs. A single {key,value} in the matchLabels map is equivalent to an element of matchExpressions, whose key field is "key", the operator is "In", and the values array contains only "value". The requirements are ANDed.',
  "LabelSelector.matchExpressions": "matchExpressions is a list of label selector requirements. The requirements are ANDed.",

  // core/v1 Pod
  Pod: "Pod is a collection of containers that can run on a host. This resource is created by clients and scheduled onto hosts.",
  PodTemplateSpec: "PodTemplateSpec describes the data a pod should have when created from a template",
  "PodTemplateSpec.metadata": `Standard object's metadata. More info: ${CONVENTIONS}#metadata`,
  "PodTemplateSpec.spec": `Specification of the desired behavior of the pod. More info: ${CONVENTIONS}#spec-and-status`,
  PodSpec: "PodSpec is a description of a pod.",
  "PodSpec.containers":
    "List of containers belonging to the pod. Containers cannot currently be added or removed. There must be at least one container in a Pod. Cannot be updated.",
  "PodSpec.initContainers":
    "List of initialization containers belonging to the pod. Init containers are executed in order prior to containers being started. If any init container fails, the pod is considered to have failed and is handled according to its restartPolicy. The name for an init container or normal container must be unique among all containers. More info: https://kubernetes.io/docs/concepts/workloads/pods/init-containers/",
  "PodSpec.volumes": "List of volumes that can be mounted by containers belonging to the pod. More info: https://kubernetes.io/docs/concepts/storage/volumes",
  "PodSpec.restartPolicy":
    'Restart policy for all containers within the pod. One of Always, OnFailure, Never. In some contexts, only a subset of those values may be permitted. Default to Always. More info: https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#restart-policy\n\nPossible enum values:\n - `"Always"`\n - `"Never"`\n - `"OnFailure"`',
  "PodSpec.terminationGracePeriodSeconds":
    "Optional duration in seconds the pod needs to terminate gracefully. May be decreased in delete request. Value must be non-negative integer. The value zero indicates stop immediately via the kill signal (no opportunity to shut down). If this value is nil, the default grace period will be used instead. The grace period is the duration in seconds after the processes running in the pod are sent a termination signal and the time when the processes are forcibly halted with a kill signal. Set this value longer than the expected cleanup time for your process. Defaults to 30 seconds.",
  "PodSpec.nodeSelector":
    "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node. More info: https://kubernetes.io/docs/concepts/configuration/assign-pod-node/",
  "PodSpec.nodeName":
    "NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName. Once this field is set, the kubelet for this node becomes responsible for the lifecycle of this pod. This field should not be used to express a desire for the pod to be scheduled on a specific node. https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename",
  "PodSpec.tolerations": "If specified, the pod's tolerations.",
  "PodSpec.hostname": "Specifies the hostname of the Pod If not specified, the pod's hostname will be set to a system-defined value.",

  // core/v1 Container
  Container: "A single application container that you want to run within a pod.",
  "Container.name": "Name of the container specified as a DNS_LABEL. Each container in a pod must have a unique name (DNS_LABEL). Cannot be updated.",
  "Container.image":
    "Container image name. More info: https://kubernetes.io/docs/concepts/containers/images This field is optional to allow higher level config management to default or override container images in workload controllers like Deployments and StatefulSets.",
  "Container.command":
    "Entrypoint array. Not executed within a shell. The container image's ENTRYPOINT is used if this is not provided. Variable references $(VAR_NAME) are expanded using the container's environment. If a variable cannot be resolved, the reference in the input string will be unchanged. Cannot be updated. More info: https://kubernetes.io/docs/tasks/inject-data-application/define-command-argument-container/#running-a-command-in-a-shell",
  "Container.args":
    "Arguments to the entrypoint. The container image's CMD is used if this is not provided. Variable references $(VAR_NAME) are expanded using the container's environment. If a variable cannot be resolved, the reference in the input string will be unchanged. Cannot be updated. More info: https://kubernetes.io/docs/tasks/inject-data-application/define-command-argument-container/#running-a-command-in-a-shell",
  "Container.env": "List of environment variables to set in the container. Cannot be updated.",
  "Container.ports":
    'List of ports to expose from the container. Not specifying a port here DOES NOT prevent that port from being exposed. Any port which is listening on the default "0.0.0.0" address inside a container will be accessible from the network. Modifying this array with strategic merge patch may corrupt the data. For more information See https://github.com/kubernetes/kubernetes/issues/108255. Cannot be updated.',
  "Container.volumeMounts": "Pod volumes to mount into the container's filesystem. Cannot be updated.",
  "Container.imagePullPolicy":
    'Image pull policy. One of Always, Never, IfNotPresent. Defaults to Always if :latest tag is specified, or IfNotPresent otherwise. Cannot be updated. More info: https://kubernetes.io/docs/concepts/containers/images#updating-images\n\nPossible enum values:\n - `"Always"` means that kubelet always attempts to pull the latest image. Container will fail If the pull fails.\n - `"IfNotPresent"` means that kubelet pulls if the image isn\'t present on disk. Container will fail if the image isn\'t present and the pull fails.\n - `"Never"` means that kubelet never pulls an image, but only uses a local image. Container will fail if the image isn\'t present',
  "Container.resources":
    "Compute Resources required by this container. Cannot be updated. More info: https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/",
  "Container.livenessProbe":
    "Periodic probe of container liveness. Container will be restarted if the probe fails. Cannot be updated. More info: https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle#container-probes",
  "Container.readinessProbe":
    "Periodic probe of container service readiness. Container will be removed from service endpoints if the probe fails. Cannot be updated. More info: https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle#container-probes",
  "Container.workingDir": "Container's working directory. If not specified, the container runtime's default will be used, which might be configured in the container image. Cannot be updated.",
  "ResourceRequirements.limits":
    "Limits describes the maximum amount of compute resources allowed. More info: https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/",
  "ResourceRequirements.requests":
    "Requests describes the minimum amount of compute resources required. If Requests is omitted for a container, it defaults to Limits if that is explicitly specified, otherwise to an implementation-defined value. Requests cannot exceed Limits. More info: https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/",
  EnvVar: "EnvVar represents an environment variable present in a Container.",
  "EnvVar.name": "Name of the environment variable. Must be a C_IDENTIFIER.",
  "EnvVar.value":
    'Variable references $(VAR_NAME) are expanded using the previously defined environment variables in the container and any service environment variables. If a variable cannot be resolved, the reference in the input string will be unchanged. Double $$ are reduced to a single $, which allows for escaping the $(VAR_NAME) syntax: i.e. "$$(VAR_NAME)" will produce the string literal "$(VAR_NAME)". Escaped references will never be expanded, regardless of whether the variable exists or not. Defaults to "".',
  "EnvVar.valueFrom": "Source for the environment variable's value. Cannot be used if value is not empty.",
  ContainerPort: "ContainerPort represents a network port in a single container.",
  "ContainerPort.containerPort": "Number of port to expose on the pod's IP address. This must be a valid port number, 0 < x < 65536.",
  "ContainerPort.name":
    "If specified, this must be an IANA_SVC_NAME and unique within the pod. Each named port in a pod must have a unique name. Name for the port that can be referred to by services.",
  "ContainerPort.protocol": 'Protocol for port. Must be UDP, TCP, or SCTP. Defaults to "TCP".',
  "ContainerPort.hostPort":
    "Number of port to expose on the host. If specified, this must be a valid port number, 0 < x < 65536. If HostNetwork is specified, this must match ContainerPort. Most containers do not need this.",
  "ContainerPort.hostIP": "What host IP to bind the external port to.",
  VolumeMount: "VolumeMount describes a mounting of a Volume within a container.",
  "VolumeMount.name": "This must match the Name of a Volume.",
  "VolumeMount.mountPath": "Path within the container at which the volume should be mounted.  Must not contain ':'.",
  "VolumeMount.readOnly": "Mounted read-only if true, read-write otherwise (false or unspecified). Defaults to false.",
  Volume: "Volume represents a named volume in a pod that may be accessed by any container in the pod.",
  "Volume.name": "name of the volume. Must be a DNS_LABEL and unique within the pod. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#names",

  // core/v1 others
  Node: "Node is a worker node in Kubernetes. Each node will have a unique identifier in the cache (i.e. in etcd).",
  Namespace: "Namespace provides a scope for Names. Use of multiple namespaces is optional.",
  Service:
    "Service is a named abstraction of software service (for example, mysql) consisting of local port (for example 3306) that the proxy listens on, and the selector that determines which pods will answer requests sent through the proxy.",
  ConfigMap: "ConfigMap holds configuration data for pods to consume.",
  Secret: "Secret holds secret data of a certain type. The total bytes of the values in the Data field must be less than MaxSecretSize bytes.",
  Event: "Event is a report of an event somewhere in the cluster.  Events have a limited retention time and triggers and messages may evolve with time.",
  Endpoints: "Endpoints is a collection of endpoints that implement the actual service.",
  EndpointSlice: "EndpointSlice represents a subset of the endpoints that implement a service.",
  Lease: "Lease defines a lease concept.",
  Job: "Job represents the configuration of a single job.",
};

/**
 * Server-side apply's list-map keys (`+listType=map`, `+listMapKey=…` in Kubernetes' types.go), by
 * message and JSON field name; the OpenAPI document marks these lists `x-kubernetes-list-type: map`.
 */
export const LIST_MAP_KEYS: { readonly [messageField: string]: readonly string[] } = {
  "PodSpec.containers": ["name"],
  "PodSpec.initContainers": ["name"],
  "PodSpec.volumes": ["name"],
  "Container.env": ["name"],
  "Container.ports": ["containerPort", "protocol"],
  "Container.volumeMounts": ["mountPath"],
  "ServiceSpec.ports": ["port", "protocol"],
  "PodStatus.podIPs": ["ip"],
  "PodStatus.conditions": ["type"],
  "NodeStatus.conditions": ["type"],
  "DeploymentStatus.conditions": ["type"],
  "ReplicaSetStatus.conditions": ["type"],
  "JobStatus.conditions": ["type"],
};

/** String fields with a fixed set of values (`+enum` in Kubernetes' types.go), shown by `kubectl explain`. */
export const FIELD_ENUMS: { readonly [messageField: string]: readonly string[] } = {
  "DeploymentStrategy.type": ["Recreate", "RollingUpdate"],
  "PodSpec.restartPolicy": ["Always", "Never", "OnFailure"],
  "Container.imagePullPolicy": ["Always", "IfNotPresent", "Never"],
  "ContainerPort.protocol": ["SCTP", "TCP", "UDP"],
};
