# Run by busybox sh as PID 1. The kernel drops signals that PID 1 has no handler for, so trap them;
# `wait` on a background sleep returns as soon as a trapped signal arrives (a foreground sleep would
# delay the trap until it finished). Applets run without symlinks: busybox sh prefers its own applets.
trap 'exit 0' TERM INT
while :; do
  sleep 3600 &
  wait $!
done
