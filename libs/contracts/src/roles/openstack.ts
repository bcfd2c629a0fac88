/**
 * The OpenStack role: openstack-helm charts installed in order with `helm upgrade --install --wait`
 * on the first control plane. Values come from the stored cluster spec (never from history);
 * values that are secret references (`secret/<name>`) are resolved inside the activity and reach
 * Helm on stdin only.
 */
import type { ClusterRevisionRef } from './network';
import type { SshAccess } from './ssh';

/** Charts that every OpenStack deployment needs, before any service. */
export const OPENSTACK_INFRA_CHARTS = ['mariadb', 'rabbitmq', 'memcached'] as const;

/** Every chart Plinth deploys, in deployment order (dependencies first). */
export const OPENSTACK_CHART_ORDER = [
  ...OPENSTACK_INFRA_CHARTS,
  'keystone',
  'heat',
  'glance',
  'cinder',
  'placement',
  'nova',
  'neutron',
  'horizon',
] as const;

export type OpenStackChart = (typeof OPENSTACK_CHART_ORDER)[number];

/** Services deployed only when the spec lists them. */
export const OPENSTACK_OPTIONAL_SERVICES: readonly OpenStackChart[] = ['cinder', 'heat'];

/**
 * The charts to deploy for the spec's `openstack.services`, in order: the infrastructure charts,
 * then the listed services in {@link OPENSTACK_CHART_ORDER}. Unknown names are returned apart.
 * Pure: workflows may call it.
 */
export function openStackReleasePlan(services: readonly string[]): {
  charts: OpenStackChart[];
  unknown: string[];
} {
  const known = new Set<string>(OPENSTACK_CHART_ORDER);
  const wanted = new Set(services);
  const unknown = services.filter((service) => !known.has(service));
  const infra = new Set<string>(OPENSTACK_INFRA_CHARTS);
  const charts = OPENSTACK_CHART_ORDER.filter((chart) => infra.has(chart) || wanted.has(chart));
  return { charts, unknown };
}

export interface PrepareHelmInput extends ClusterRevisionRef {
  firstControlPlane: SshAccess;
}

export interface DeployReleaseInput extends ClusterRevisionRef {
  firstControlPlane: SshAccess;
  chart: OpenStackChart;
  /** Helm `--timeout` in seconds. Default 900. */
  timeoutSeconds?: number;
}

export interface DeployReleaseResult {
  release: string;
  namespace: string;
  /** Helm revision now deployed. */
  revision: number;
  /** False when the release was already deployed with these values and chart version (no new revision). */
  changed: boolean;
  /** sha256 of the values given to Helm (the values stay out of history). */
  valuesSha256: string;
}

/**
 * OpenStack role activities, each idempotent:
 *
 * - `prepareHelm`: Helm installed and the openstack-helm repository added on the first control plane.
 * - `deployRelease`: one chart. Checks `helm status` first: deployed with the same values and chart
 *   version means done (no new revision). Otherwise `helm upgrade --install --wait` with the values
 *   on stdin, then verifies `helm status` says deployed. A release an interrupted install left
 *   `pending-install` is uninstalled and installed again.
 *
 * Errors: `HelmReleaseFailed`, `CommandFailed`, `SshUnreachable` (retryable); `SecretMissing`
 * (not retryable).
 */
export interface OpenStackActivities {
  prepareHelm(input: PrepareHelmInput): Promise<{ changed: boolean }>;
  deployRelease(input: DeployReleaseInput): Promise<DeployReleaseResult>;
}
