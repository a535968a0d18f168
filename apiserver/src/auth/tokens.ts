// Bootstrap tokens, as `mkctl cluster init` writes them: one a line, `<id> <sha256 of the whole
// token, hex> <expiry, ISO 8601>`. The file is read at every join, so tokens made after the
// server started work without a restart; only hashes are kept, so the file reveals no token.
import { createHash, timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";

export const TOKEN_PATTERN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;

export type TokenCheck = { valid: true } | { valid: false; reason: string };

export async function checkToken(file: string, token: string, now = Date.now()): Promise<TokenCheck> {
  const m = TOKEN_PATTERN.exec(token);
  if (!m) return { valid: false, reason: "the token is not of the form [a-z0-9]{6}.[a-z0-9]{16}" };
  const hash = createHash("sha256").update(token).digest();
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { valid: false, reason: "the token is not known" };
    throw err;
  }
  let expired = false;
  for (const line of text.split("\n")) {
    const [id, hex, expires] = line.trim().split(/\s+/);
    if (id !== m[1] || !hex || hex.length !== 64) continue;
    if (!timingSafeEqual(Buffer.from(hex, "hex"), hash)) continue;
    if (expires && Date.parse(expires) <= now) {
      expired = true;
      continue;
    }
    return { valid: true };
  }
  return { valid: false, reason: expired ? "the token has expired" : "the token is not known" };
}
