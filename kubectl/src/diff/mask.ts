// kubectl diff never prints a Secret's values (k8s.io/kubectl/pkg/cmd/diff Masker): every data value
// becomes "***", and a key whose value changed "*** (before)" / "*** (after)", so the change shows.
import { isObject, type JsonObject } from "../objects.js";

const MASK = "***";

function dataOf(obj: JsonObject | undefined): JsonObject | undefined {
  return obj && isObject(obj.data) ? obj.data : undefined;
}

/** Masks both objects' data in place (copies made by the caller). */
export function maskSecrets(from: JsonObject | undefined, to: JsonObject | undefined): void {
  const a = dataOf(from);
  const b = dataOf(to);
  if (a) {
    for (const k of Object.keys(a)) {
      if (b && Object.hasOwn(b, k)) {
        if (a[k] !== b[k]) {
          a[k] = `${MASK} (before)`;
          b[k] = `${MASK} (after)`;
          continue;
        }
        b[k] = MASK;
      }
      a[k] = MASK;
    }
  }
  if (b) for (const k of Object.keys(b)) if (!a || !Object.hasOwn(a, k)) b[k] = MASK;
}
