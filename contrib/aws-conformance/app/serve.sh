#!/bin/sh
# the hooks port (POST /burrow/v1/ready answers 200) in the background, the app in the foreground
nc -ll -p 9000 -e /bin/sh /app/hook.sh &
exec nc -ll -p 8080 -e /bin/sh /app/http.sh
