#!/bin/sh
# a lifecycle hook call: 200 to every one, each remembered in /tmp/hook-calls
read -r method path proto
while read -r line; do case "$line" in ""|$(printf '\r')) break;; esac; done
echo "$method $path" >> /tmp/hook-calls
printf 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok'
