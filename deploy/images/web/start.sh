# Run by busybox sh as PID 1. httpd installs no SIGTERM handler and the kernel drops unhandled signals
# to PID 1, so sh traps TERM/INT, stops httpd and exits 0 at once.
port="${PORT:-8080}"
# Name the version and the pod (hostname) on the index page; if the root filesystem is read-only
# the page baked into the image ("mk web VERSION") stays.
echo "mk web ${MK_WEB_VERSION} $(hostname)" > /www/index.html 2>/dev/null || true
httpd -f -p "$port" -h /www &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null; exit 0' TERM INT
echo "mk web ${MK_WEB_VERSION} listening on :$port"
wait "$pid"
