#!/bin/sh
# one HTTP request on stdin: answers "$GREETING <method> <path>" (GREETING is the image's environment)
read -r method path proto
while read -r line; do case "$line" in ""|$(printf '\r')) break;; esac; done
b="$GREETING $method $path"
printf 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %s\r\nConnection: close\r\n\r\n%s' "${#b}" "$b"
