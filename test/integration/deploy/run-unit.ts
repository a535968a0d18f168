// `systemctl restart UNIT` for the VM tests: vm.test.ts puts a `systemctl` on PATH that runs this
// (inside the namespace standing for the machine) for each unit deploy/vm/control-plane-join.sh
// restarts. It starts the unit's ExecStart with its env files from MK_ETC, detached, its output in
// MK_TEST_RUN_DIR/UNIT.log, its pid in MK_TEST_RUN_DIR/UNIT.pid (the test stops it by that pid), and
// a state directory of its own (systemd's StateDirectory=).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO } from "../../harness/mkctl.js";
import { unitCommand } from "./units.js";

const unit = process.argv[2] ?? "";
const etc = process.env.MK_ETC ?? "";
const runDir = process.env.MK_TEST_RUN_DIR ?? "";
if (!/^mk-[a-z-]+$/.test(unit) || etc === "" || runDir === "") {
  process.stderr.write("usage: MK_ETC=DIR MK_TEST_RUN_DIR=DIR run-unit.js mk-UNIT\n");
  process.exit(2);
}
const pidFile = join(runDir, `${unit}.pid`);
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
// A restart: the old process goes first, and is waited for (it holds the unit's ports), as systemd does.
const old = existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8")) : 0;
if (old > 0 && alive(old)) {
  process.kill(old, "SIGTERM");
  for (const deadline = Date.now() + 15_000; alive(old) && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 100));
  if (alive(old)) process.kill(old, "SIGKILL");
}
const state = join(runDir, `${unit}-state`);
mkdirSync(state, { recursive: true, mode: 0o700 });
const { argv, env } = unitCommand(join(REPO, "deploy/vm/systemd", `${unit}.service`), etc, { STATE_DIRECTORY: state });
const log = openSync(join(runDir, `${unit}.log`), "a");
const child = spawn(argv[0] ?? "", argv.slice(1), { detached: true, stdio: ["ignore", log, log], env: { ...process.env, ...env } });
writeFileSync(pidFile, String(child.pid));
child.unref();
