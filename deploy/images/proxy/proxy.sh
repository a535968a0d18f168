#!/bin/sh
# One HTTP request on stdin (nc -ll -e runs this per connection): /api/<rest> is fetched from
# http://$BACKEND/<rest> (BACKEND defaults to backend:80, the backend Service's name) and its body
# returned; /healthz answers "ok"; anything else is 404.
read -r method path version
while read -r line; do
  [ "${line%"$(printf '\r')"}" = "" ] && break
done
reply() { # status, body
  printf 'HTTP/1.0 %s\r\nContent-Type: text/plain\r\nContent-Length: %s\r\nConnection: close\r\n\r\n%s' "$1" "${#2}" "$2"
}
case "$path" in
  /healthz) reply "200 OK" "ok
" ;;
  /api/*)
    rest="${path#/api}"
    # busybox 1.35's own -T timeout crashes (SIGSEGV) in Debian's static build: timeout(1) instead.
    if body="$(timeout 10 wget -q -O - "http://${BACKEND:-backend:80}${rest}" 2>&1)"; then
      reply "200 OK" "$body
"
    else
      reply "502 Bad Gateway" "proxy: http://${BACKEND:-backend:80}${rest}: $body
"
    fi ;;
  *) reply "404 Not Found" "proxy: only /api/ is forwarded (to http://${BACKEND:-backend:80}/)
" ;;
esac
