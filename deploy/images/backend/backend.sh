#!/bin/sh
# One HTTP request on stdin (nc -ll -e runs this per connection): answers every path with
# "Request to <path> was successful", as the backend of the two-tier demo.
read -r method path version
# The headers, up to the empty line (lines end in CR LF).
while read -r line; do
  [ "${line%"$(printf '\r')"}" = "" ] && break
done
body="Request to ${path} was successful"
printf 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %s\r\nConnection: close\r\n\r\n%s\n' "$((${#body} + 1))" "$body"
