// grpc-js sends the API server's address as the TLS server name (SNI) even when it is an IP, and
// Node warns about that (DEP0123) once per process: with TLS on by default, on every mkctl command.
// The certificate is still checked against that IP; only this one warning is silenced, every other
// warning prints as before (through Node's own handler).
export function silenceIpServerNameWarning(proc: NodeJS.Process = process): void {
  const printers = proc.listeners("warning") as ((w: Error) => void)[];
  proc.removeAllListeners("warning");
  proc.on("warning", (w) => {
    if ((w as { code?: unknown }).code === "DEP0123") return;
    for (const print of printers) print.call(proc, w);
  });
}
