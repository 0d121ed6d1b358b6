# Tether node image: Node 24 slim, production dependencies only, runs as the unprivileged `node`
# user, launched with the same Node flags as `npm start` (test/deploy-static.test.ts checks).
# Build: docker build -t tether:local .      Run: docs/operations.md, "Deployment".
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY client-sdk/package.json client-sdk/
# the root's runtime dependencies only: no dev tools, no SDK workspace, no install scripts
RUN npm ci --omit=dev --workspaces=false --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

FROM ${NODE_IMAGE}
ENV NODE_ENV=production PORT=8080
WORKDIR /app
COPY --from=deps /app/node_modules node_modules
COPY package.json ./
COPY src src
COPY deploy/docker/healthcheck.sh /usr/local/bin/tether-healthcheck
USER node
EXPOSE 8080
# Liveness only (GET /healthz through bash, no second Node process): never /readyz, which is false
# for every node at once while RabbitMQ is away, and an orchestrator would then kill them all.
# Timeout and retries are generous so that a node busy under load is not killed for being slow.
HEALTHCHECK --interval=15s --timeout=10s --start-period=60s --retries=4 CMD ["tether-healthcheck"]
# SIGTERM drains: readiness off, clients closed with 1012 over DRAIN_MS, exit within
# SHUTDOWN_TIMEOUT_MS; give the container a stop timeout above that (compose stop_grace_period).
STOPSIGNAL SIGTERM
CMD ["node", "--max-semi-space-size=4", "src/main.ts"]
