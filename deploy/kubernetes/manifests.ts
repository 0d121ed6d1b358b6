/**
 * Kubernetes manifests for Tether, written against `kubernetes-types` (the API's own types) so
 * that `tsc`'s excess-property check rejects a misspelt or misplaced field; `npm run
 * deploy:render` writes them as YAML with a kustomization.yaml into deploy/kubernetes/base/.
 * Apply with `kubectl apply -k deploy/kubernetes/base` after creating the `tether-secrets`
 * Secret (docs/operations.md, "Kubernetes"). None of this ran here: no cluster is reachable.
 *
 * Timing: a pod removed from the Service endpoints keeps getting new connections until every
 * proxy has seen that, so preStop waits PRE_STOP_S before SIGTERM; the node then drains over
 * DRAIN_MS and must exit within SHUTDOWN_TIMEOUT_MS; the grace period covers all of it.
 */
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { HorizontalPodAutoscaler } from 'kubernetes-types/autoscaling/v2.js';
import type { ConfigMap, Service } from 'kubernetes-types/core/v1.js';
import type { NetworkPolicy } from 'kubernetes-types/networking/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';

export const DRAIN_MS = 10_000;
export const SHUTDOWN_TIMEOUT_MS = 30_000;
export const PRE_STOP_S = 5;
/** preStop + the node's own shutdown deadline + 10 s for the kubelet */
export const GRACE_S = PRE_STOP_S + SHUTDOWN_TIMEOUT_MS / 1000 + 10;

const app = 'tether';
const labels = { 'app.kubernetes.io/name': app, 'app.kubernetes.io/component': 'signaling' };

export const configMap: ConfigMap = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'tether-config', labels },
  data: {
    NODE_ENV: 'production',
    PORT: '8080',
    LOG_LEVEL: 'info',
    BUS_TOPOLOGY: 'routed',
    DRAIN_MS: String(DRAIN_MS),
    SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    // Sentinels of the Redis that holds presence and resume state (the primary is asked from them)
    REDIS_SENTINELS: 'redis-sentinel-0.redis-sentinel:26379,redis-sentinel-1.redis-sentinel:26379,redis-sentinel-2.redis-sentinel:26379',
    REDIS_SENTINEL_MASTER: 'mymaster',
    ALLOWED_ORIGINS: 'https://app.example.com',
  },
};

/** Secret keys mounted as files and read through <NAME>_FILE: never in the pod spec or env dumps */
const secretFiles = ['JWT_SECRET', 'RABBITMQ_URL', 'REDIS_URL', 'DATABASE_URL'] as const;

export const deployment: Deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: app, labels },
  spec: {
    replicas: 3,
    selector: { matchLabels: labels },
    // one new pod at a time, and never fewer ready than wanted: clients drained from an old pod
    // find room on the others
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
    template: {
      metadata: {
        labels,
        annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '8080', 'prometheus.io/path': '/metrics' },
      },
      spec: {
        terminationGracePeriodSeconds: GRACE_S,
        automountServiceAccountToken: false,
        securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
        topologySpreadConstraints: [
          { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: labels } },
        ],
        containers: [
          {
            name: app,
            image: 'registry.example.com/tether:0.1.0',
            ports: [{ name: 'http', containerPort: 8080 }],
            envFrom: [{ configMapRef: { name: 'tether-config' } }],
            env: [
              { name: 'NODE_ID', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              ...secretFiles.map((key) => ({ name: `${key}_FILE`, value: `/run/secrets/tether/${key}` })),
            ],
            volumeMounts: [{ name: 'secrets', mountPath: '/run/secrets/tether', readOnly: true }],
            resources: { requests: { cpu: '500m', memory: '512Mi' }, limits: { memory: '1Gi' } },
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
            // the node waits up to 30 s for RabbitMQ before it listens at all
            startupProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 2, failureThreshold: 30 },
            readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 2, failureThreshold: 2, timeoutSeconds: 2 },
            // liveness is /healthz only, with room for a busy node: a bus outage must not restart every pod
            livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 15, timeoutSeconds: 10, failureThreshold: 4 },
            lifecycle: { preStop: { sleep: { seconds: PRE_STOP_S } } },
          },
        ],
        volumes: [{ name: 'secrets', secret: { secretName: 'tether-secrets', defaultMode: 0o400 } }],
      },
    },
  },
};

export const service: Service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: app, labels },
  spec: { selector: labels, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
};

export const podDisruptionBudget: PodDisruptionBudget = {
  apiVersion: 'policy/v1',
  kind: 'PodDisruptionBudget',
  metadata: { name: app, labels },
  spec: { maxUnavailable: 1, selector: { matchLabels: labels } },
};

export const autoscaler: HorizontalPodAutoscaler = {
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: { name: app, labels },
  spec: {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: app },
    minReplicas: 3,
    maxReplicas: 12,
    metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } }],
    behavior: {
      // scaling in drains a pod's clients onto the others: slowly, one pod at a time
      scaleDown: { stabilizationWindowSeconds: 600, policies: [{ type: 'Pods', value: 1, periodSeconds: 300 }] },
    },
  },
};

export const networkPolicy: NetworkPolicy = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: app, labels },
  spec: {
    podSelector: { matchLabels: labels },
    policyTypes: ['Ingress', 'Egress'],
    ingress: [
      // clients through the ingress controller, Prometheus scrapes: both on the node's one port
      {
        from: [
          { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress' } } },
          { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
        ],
        ports: [{ port: 'http', protocol: 'TCP' }],
      },
    ],
    egress: [
      { ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] },
      // RabbitMQ, Redis, Sentinel, PostgreSQL, and HTTPS for a JWKS URL
      { ports: [5672, 5671, 6379, 26379, 5432, 443].map((port) => ({ port, protocol: 'TCP' })) },
    ],
  },
};

export const resources = { configMap, deployment, service, podDisruptionBudget, autoscaler, networkPolicy };

/** kustomize's Kustomization, the fields used here (kubernetes-types has no type for it) */
export interface Kustomization {
  apiVersion: 'kustomize.config.k8s.io/v1beta1';
  kind: 'Kustomization';
  namespace?: string;
  resources: string[];
  images?: Array<{ name: string; newName?: string; newTag?: string }>;
}
