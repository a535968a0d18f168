// -o name: `deployment.apps/web`, one per line.
import type { AnyObject, KindInfo } from "@mk/proto/api";
import { refName } from "../resources.js";

export function printName(info: KindInfo, objs: readonly AnyObject[]): string {
  return objs.map((o) => `${refName(info, o.metadata?.name ?? "")}\n`).join("");
}
