// What the pod loop needs from the API, as a seam: the pods bound here (list+watch), status writes and
// the final grace-0 delete. Production wraps the Clientset; tests may script a fake API.
import type { Pod } from "@mk/proto";
import { type Clientset, isNotFound } from "@mk/proto/client";
import { type ListerWatcher, listWatchFor } from "@mk/proto/informer";

export interface PodApi {
  /** The pods bound to the node, for the informer. */
  source: ListerWatcher<Pod>;
  /** Writes the pod's status; a pod that is gone is fine. */
  updateStatus(pod: Pod, signal?: AbortSignal): Promise<void>;
  /** Removes the pod object for good (grace 0), only if it still has that uid; gone is fine. */
  deleteNow(namespace: string, name: string, uid: string): Promise<void>;
}

export function clientPodApi(cs: Clientset, nodeName: string): PodApi {
  return {
    source: listWatchFor(cs.pods, { fieldSelector: `spec.nodeName=${nodeName}` }),
    async updateStatus(pod, signal) {
      try {
        await cs.pods.updateStatus(pod, signal ? { signal } : {});
      } catch (err) {
        if (!isNotFound(err)) throw err; // deleted meanwhile: nothing left to report on
      }
    },
    async deleteNow(namespace, name, uid) {
      try {
        await cs.pods.delete(name, namespace, { gracePeriodSeconds: 0, preconditions: { uid } });
      } catch (err) {
        if (!isNotFound(err)) throw err; // already gone: done
      }
    },
  };
}
