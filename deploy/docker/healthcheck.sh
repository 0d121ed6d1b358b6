#!/bin/bash
# The image's HEALTHCHECK: GET /healthz on this container's node, through bash's /dev/tcp, so a
# probe costs one short bash process (no Node start-up, no curl in the image). Exit 0 when the
# node answers 200 within HEALTHCHECK_READ_S seconds (default 8, below the HEALTHCHECK timeout).
exec 3<>"/dev/tcp/127.0.0.1/${PORT:-8080}" || exit 1
printf 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&3
IFS= read -r -t "${HEALTHCHECK_READ_S:-8}" status <&3 || exit 1
[[ $status == "HTTP/1.1 200 "* ]]
