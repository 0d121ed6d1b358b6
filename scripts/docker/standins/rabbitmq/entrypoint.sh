#!/bin/bash
# Writes the default user into rabbitmq.conf (as the official image does), then runs the command.
set -euo pipefail
conf=/var/lib/rabbitmq/rabbitmq.conf
{
  echo "loopback_users = none"
  echo "default_user = ${RABBITMQ_DEFAULT_USER:-guest}"
  echo "default_pass = ${RABBITMQ_DEFAULT_PASS:-guest}"
  echo "listeners.tcp.default = ${RABBITMQ_NODE_PORT:-5672}"
  echo "log.console = true"
  echo "log.file = false"
} > "$conf"
export RABBITMQ_CONFIG_FILE="$conf" RABBITMQ_ENABLED_PLUGINS_FILE=/var/lib/rabbitmq/enabled_plugins
echo '[].' > "$RABBITMQ_ENABLED_PLUGINS_FILE"
exec "$@"
