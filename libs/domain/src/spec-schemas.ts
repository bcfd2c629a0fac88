/**
 * The field tables for the inventory and cluster spec files, and the JSON Schemas derived from
 * them. Change a field here and both the validator and the editor schema follow.
 */
import { APPROVAL_GATES, CNI_PLUGINS, MACHINE_ROLES, OS_FAMILIES, RAID_LEVELS } from './cluster-spec';
import { toJsonSchema, type Field, type ObjectSchema, type Schema } from './schema';

const str = (
  description: string,
  extra: Partial<Omit<Extract<Schema, { type: 'string' }>, 'type'>> = {},
): Field => ({
  type: 'string',
  description,
  ...extra,
});
const int = (description: string, minimum?: number, maximum?: number): Field => ({
  type: 'integer',
  description,
  ...(minimum !== undefined ? { minimum } : {}),
  ...(maximum !== undefined ? { maximum } : {}),
});
const obj = (description: string, properties: Record<string, Field>): ObjectSchema & Field => ({
  type: 'object',
  description,
  properties,
});
const required = (field: Field): Field => ({ ...field, required: true });
const withDefault = (field: Field, value: unknown): Field => ({ ...field, default: value });

const labelsField = (description: string): Field => ({
  type: 'record',
  description,
  keys: { maxLength: 63 },
  values: { type: 'string', maxLength: 63 },
});

/** Field table of one machine in the inventory file. */
export const machineSchema: ObjectSchema = obj('A physical machine.', {
  name: required(str('Unique machine name, a DNS label; also the hostname.', { format: 'dns-label' })),
  serial: str('Chassis serial number; checked after discovery when given.', { minLength: 1 }),
  bmc: required(
    obj('How to reach the BMC.', {
      address: required(
        str(
          'BMC URL; the scheme picks the driver: redfish://, redfish+https://, redfish+http:// (labs), ipmi://.',
          {
            format: 'bmc-url',
          },
        ),
      ),
      credentialsRef: required(
        str('Reference to the stored BMC credentials, e.g. secret/bmc-rack1.', { format: 'secret-ref' }),
      ),
      insecureTls: withDefault(
        { type: 'boolean', description: 'Accept a self-signed BMC certificate.' },
        false,
      ),
      caBundleRef: str('Reference to a stored CA bundle for the BMC certificate.', { format: 'secret-ref' }),
    }),
  ),
  bootMac: required(str('MAC of the PXE boot NIC, aa:bb:cc:dd:ee:ff (stored lowercase).', { format: 'mac' })),
  rack: str('Rack name.', { minLength: 1, maxLength: 63 }),
  position: int('Position in the rack (rack unit).', 1, 100),
  labels: withDefault(labelsField('Labels for cluster selectors.'), {}),
  params: {
    type: 'record',
    description: 'Machine-level params, the highest layer of mergeParams.',
    values: { type: 'any' },
  },
  expect: obj('Expected hardware, compared with what discovery finds.', {
    cpuCores: int('Total physical CPU cores.', 1),
    memoryMiB: int('Installed memory in MiB.', 1),
    disks: int('Number of drives.', 0),
    diskMinSizeBytes: int('Minimum size of every drive in bytes.', 1),
  }),
});

/** Field table of a params profile (a named params layer between global and cluster). */
export const profileSchema: ObjectSchema = obj('A params profile.', {
  name: required(str('Profile name, referenced by a cluster spec `profile`.', { format: 'dns-label' })),
  description: str('What the profile is for.', { maxLength: 1000 }),
  params: withDefault(
    { type: 'record', description: 'The params of this layer.', values: { type: 'any' } },
    {},
  ),
});

/** Field table of the inventory file (`inventory.yaml`). */
export const inventorySchema: ObjectSchema = obj('A machine inventory.', {
  machines: required({ type: 'array', description: 'The machines.', items: machineSchema }),
});

/** Field table of a discovered hardware inventory (as drivers report it). */
export const hardwareInventorySchema: ObjectSchema = obj('Hardware found by discovery.', {
  cpu: required(
    obj('Processors.', {
      model: required(str('CPU model.')),
      cores: required(int('Total physical cores across sockets.', 0)),
      sockets: required(int('Populated sockets.', 0)),
    }),
  ),
  memoryMiB: required(int('Installed memory in MiB.', 0)),
  drives: required({
    type: 'array',
    description: 'Physical drives.',
    items: obj('A drive.', {
      id: required(str('Driver-specific drive id.', { minLength: 1 })),
      model: str('Model.'),
      sizeBytes: required(int('Capacity in bytes.', 0)),
      mediaType: required(str('Media type.', { enum: ['HDD', 'SSD', 'NVMe', 'Unknown'] })),
      serial: str('Serial number.'),
    }),
  }),
  nics: required({
    type: 'array',
    description: 'Network interfaces.',
    items: obj('A NIC.', {
      id: required(str('Driver-specific NIC id.', { minLength: 1 })),
      mac: required(str('MAC address.', { format: 'mac' })),
      speedMbps: int('Link speed in Mbit/s.', 0),
      linkUp: { type: 'boolean', description: 'Whether the link is up.' },
    }),
  }),
  biosVersion: str('BIOS version.'),
  serial: str('Chassis serial.'),
  manufacturer: str('Manufacturer.'),
  model: str('Model.'),
  powerState: str('Power state.', { enum: ['On', 'Off', 'PoweringOn', 'PoweringOff', 'Unknown'] }),
});

const raidVolumeSchema = obj('A RAID volume.', {
  level: required(str('RAID level.', { enum: RAID_LEVELS })),
  drives: required({
    type: 'union',
    description: 'smallest-N, largest-N, all, rest, or a number of drives.',
    message: 'must be smallest-N, largest-N, all, rest, or a number of drives',
    variants: [
      { type: 'string', format: 'drive-selector', description: 'smallest-N, largest-N, all or rest.' },
      { type: 'integer', minimum: 1, description: 'Number of drives.' },
    ],
  }),
  wipe: withDefault(
    { type: 'boolean', description: 'Delete existing volumes on the chosen drives first.' },
    false,
  ),
});

const addressesField = str('"dhcp", or "pool/<name>" for a static address from that pool.', {
  format: 'address-source',
});

/** Field table of the cluster spec file (`cluster.yaml`). */
export const clusterSpecSchema: ObjectSchema = obj('A cluster spec.', {
  name: required(str('Cluster name, a DNS label.', { format: 'dns-label' })),
  machines: required({
    type: 'array',
    description: 'Machine selections with roles.',
    minItems: 1,
    items: obj('Machines by name or by label selector, with a role.', {
      names: {
        type: 'array',
        description: 'Machine names.',
        minItems: 1,
        uniqueItems: true,
        items: { type: 'string', format: 'dns-label' },
      },
      select: obj('Label selector.', {
        labels: required({ ...labelsField('Every label must match.') }),
      }),
      role: required(str('Role of the selected machines.', { enum: MACHINE_ROLES })),
    }),
  }),
  os: required(
    obj('Operating system.', {
      family: required(
        str('ubuntu (autoinstall), debian (preseed), rocky or rhel (kickstart).', { enum: OS_FAMILIES }),
      ),
      version: required(str('Release, e.g. "24.04" (quote it in YAML).', { minLength: 1, maxLength: 32 })),
      profile: str('Install-template profile, e.g. hardened.', { format: 'dns-label' }),
    }),
  ),
  raid: withDefault(
    {
      type: 'record',
      description: 'RAID layout per role: volume name → volume.',
      keys: { enum: MACHINE_ROLES },
      values: {
        type: 'record',
        description: 'Volumes by name.',
        keys: { format: 'dns-label' },
        values: raidVolumeSchema,
      },
    },
    {},
  ),
  network: withDefault(
    obj('Host networking.', {
      bonds: withDefault(
        {
          type: 'array',
          description: 'Bonded interfaces.',
          items: obj('A bond.', {
            name: required(str('Interface name, e.g. bond0.', { minLength: 1, maxLength: 15 })),
            mode: required(
              str('Bonding mode.', {
                enum: [
                  'active-backup',
                  'balance-rr',
                  'balance-xor',
                  'broadcast',
                  '802.3ad',
                  'balance-tlb',
                  'balance-alb',
                ],
              }),
            ),
            interfaces: required({
              type: 'array',
              description: 'Member NICs.',
              minItems: 1,
              uniqueItems: true,
              items: { type: 'string', minLength: 1, maxLength: 15 },
            }),
            mtu: int('MTU in bytes.', 576, 9216),
            addresses: addressesField,
          }),
        },
        [],
      ),
      vlans: withDefault(
        {
          type: 'array',
          description: 'Tagged VLAN interfaces.',
          items: obj('A VLAN.', {
            id: required(int('802.1Q VLAN id.', 1, 4094)),
            on: required(str('Parent interface (bond or NIC).', { minLength: 1, maxLength: 15 })),
            name: str('Interface name; defaults to <on>.<id>.', { minLength: 1, maxLength: 15 }),
            mtu: int('MTU in bytes.', 576, 9216),
            addresses: addressesField,
          }),
        },
        [],
      ),
      pools: withDefault(
        {
          type: 'record',
          description: 'Static address pools by name.',
          keys: { format: 'dns-label' },
          values: obj('A static pool.', {
            cidr: required(str('Network, e.g. 10.20.0.0/24.', { format: 'cidr' })),
            gateway: str('Gateway inside the CIDR.', { format: 'ipv4' }),
            range: str('Allocation range first-last inside the CIDR.', { format: 'ipv4-range' }),
          }),
        },
        {},
      ),
      gateway: str('Default gateway.', { format: 'ipv4' }),
      dns: withDefault(
        {
          type: 'array',
          description: 'DNS servers.',
          uniqueItems: true,
          items: { type: 'string', format: 'ipv4' },
        },
        [],
      ),
      ntp: withDefault(
        {
          type: 'array',
          description: 'NTP servers.',
          uniqueItems: true,
          items: { type: 'string', format: 'host' },
        },
        [],
      ),
    }),
    {},
  ),
  kubernetes: obj('Kubernetes.', {
    version: required(str('Version, e.g. "1.33".', { format: 'kubernetes-version' })),
    podCidr: required(str('Pod network.', { format: 'cidr' })),
    serviceCidr: required(str('Service network.', { format: 'cidr' })),
    cni: required(str('Network plugin.', { enum: CNI_PLUGINS })),
    endpoint: required(
      str('Control-plane endpoint: address or host name, optional :port.', { format: 'host-port' }),
    ),
  }),
  openstack: withDefault(
    obj('OpenStack via openstack-helm.', {
      enabled: withDefault({ type: 'boolean', description: 'Deploy OpenStack.' }, false),
      release: str('OpenStack release, e.g. "2025.2".', { minLength: 1, maxLength: 32 }),
      services: withDefault(
        {
          type: 'array',
          description: 'Services (charts).',
          uniqueItems: true,
          items: { type: 'string', format: 'dns-label' },
        },
        [],
      ),
      values: withDefault(
        {
          type: 'record',
          description: 'Helm values per chart.',
          keys: { format: 'dns-label' },
          values: { type: 'record', description: 'Values for one chart.', values: { type: 'any' } },
        },
        {},
      ),
    }),
    {},
  ),
  rollout: withDefault(
    obj('Rollout policy.', {
      maxParallel: withDefault(int('Machines provisioned at once.', 1, 10000), 20),
      success: withDefault(
        obj('Success criteria.', {
          minPercent: withDefault(int('Minimum percent of machines that must succeed.', 0, 100), 100),
          critical: withDefault(
            {
              type: 'array',
              description: 'Roles in which every machine must succeed.',
              uniqueItems: true,
              items: { type: 'string', enum: MACHINE_ROLES },
            },
            ['control-plane'],
          ),
        }),
        {},
      ),
      approve: withDefault(
        {
          type: 'array',
          description: 'Approval gates.',
          uniqueItems: true,
          items: { type: 'string', enum: APPROVAL_GATES },
        },
        [],
      ),
    }),
    {},
  ),
  params: withDefault(
    { type: 'record', description: 'Free-form params for templates.', values: { type: 'any' } },
    {},
  ),
  profile: str('Params profile layered between global and cluster params.', { format: 'dns-label' }),
});

const document = (id: string, title: string, schema: ObjectSchema): Record<string, unknown> => ({
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: id,
  title,
  ...toJsonSchema(schema),
});

/**
 * JSON Schema (draft 2020-12) of the cluster spec, generated from {@link clusterSpecSchema}.
 * Cross-field rules (pool gateway inside its CIDR, RAID drive counts, …) are only in the validator.
 */
export const clusterSpecJsonSchema: Record<string, unknown> = document(
  'https://plinth.dev/schemas/cluster.json',
  'Plinth cluster spec',
  clusterSpecSchema,
);

/** JSON Schema (draft 2020-12) of the inventory file, generated from {@link inventorySchema}. */
export const inventoryJsonSchema: Record<string, unknown> = document(
  'https://plinth.dev/schemas/inventory.json',
  'Plinth machine inventory',
  inventorySchema,
);
