import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import { RoleError, type AllocatedAddress, type MachineNic } from '@plinth/contracts';
import { networkContains, parseCidr, parseIpv4, type AddressPool, type NetworkPlan } from '@plinth/domain';

/** What the renderer needs: the cluster's plan and this machine's NICs and allocated addresses. */
export interface NetplanRenderInput {
  plan: NetworkPlan;
  nics: MachineNic[];
  addresses: AllocatedAddress[];
  /** The NIC the machine netboots from; when the plan does not use it, it stays on DHCP. */
  bootNic?: string;
}

/** An interface verification expects on the host after apply. */
export interface ExpectedInterface {
  name: string;
  kind: 'ethernet' | 'bond' | 'vlan';
  /** Bond members. */
  members?: string[];
  /** VLAN parent. */
  parent?: string;
  /** Static CIDR addresses (`10.20.0.50/24`). */
  addresses: string[];
  dhcp: boolean;
}

export interface RenderedNetplan {
  yaml: string;
  sha256: string;
  expected: ExpectedInterface[];
  /** The default gateway, when a static interface carries the default route. */
  gateway?: string;
  /** NTP servers from the plan (netplan has no NTP section: the role writes them for chrony). */
  ntp: string[];
}

/** Where Plinth writes the host's network configuration. */
export const PLINTH_NETPLAN_PATH = '/etc/netplan/60-plinth.yaml';

const HEADER =
  '# Written by Plinth (network role) from the cluster spec. Local changes are replaced at the next run.\n';

type NetplanDevice = Record<string, unknown>;

function templateError(message: string): RoleError {
  return new RoleError('TemplateError', `Network plan: ${message}`);
}

/** Netplan bond `parameters` per mode: LACP tuned for fast failure detection, active-backup with a primary. */
function bondParameters(mode: string, interfaces: string[]): Record<string, unknown> {
  switch (mode) {
    case '802.3ad':
      return { mode, 'lacp-rate': 'fast', 'mii-monitor-interval': 100, 'transmit-hash-policy': 'layer3+4' };
    case 'active-backup':
      return { mode, primary: interfaces[0], 'mii-monitor-interval': 100 };
    default:
      return { mode, 'mii-monitor-interval': 100 };
  }
}

/**
 * Renders the machine's netplan from the cluster's network plan. Pure and deterministic (same input,
 * same bytes), so its hash says whether a host already runs it.
 *
 * - NICs the plan uses are matched by MAC and named (`set-name`); bond members and VLAN parents get
 *   no address of their own. The boot NIC, when the plan does not use it, keeps DHCP.
 * - `addresses: dhcp` → `dhcp4: true`; `pool/<name>` → the address allocated for that interface.
 * - One default route: via the gateway of the first static interface whose pool has one, else via
 *   `network.gateway` on the static interface whose network contains it. DNS servers go on that
 *   interface (or the first static one).
 *
 * @throws RoleError `TemplateError` when the plan names a NIC the machine lacks, an address is
 *   missing for a pool interface, or the gateway is on none of the machine's networks.
 */
export function renderNetplan(input: NetplanRenderInput): RenderedNetplan {
  const { plan } = input;
  const nicByName = new Map(input.nics.map((nic) => [nic.name, nic]));
  const ethernets: Record<string, NetplanDevice> = {};
  const bonds: Record<string, NetplanDevice> = {};
  const vlans: Record<string, NetplanDevice> = {};
  const expected: ExpectedInterface[] = [];
  const statics: Array<{
    name: string;
    device: NetplanDevice;
    pool: AddressPool;
    address: string;
    prefix: number;
  }> = [];

  const physical = (name: string, user: string): void => {
    const nic = nicByName.get(name);
    if (!nic)
      throw templateError(
        `${user} uses NIC ${name}, but the machine has ${[...nicByName.keys()].join(', ') || 'no NICs'}`,
      );
    if (ethernets[name]) return;
    ethernets[name] = {
      match: { macaddress: nic.mac.toLowerCase() },
      'set-name': name,
      dhcp4: false,
      dhcp6: false,
    };
    expected.push({ name, kind: 'ethernet', addresses: [], dhcp: false });
  };

  const addressing = (
    name: string,
    spec: string | undefined,
    device: NetplanDevice,
  ): { addresses: string[]; dhcp: boolean } => {
    if (spec === undefined) {
      device['dhcp4'] = false;
      return { addresses: [], dhcp: false };
    }
    if (spec === 'dhcp') {
      device['dhcp4'] = true;
      return { addresses: [], dhcp: true };
    }
    const poolName = spec.replace(/^pool\//, '');
    const pool = plan.pools[poolName];
    if (!pool) throw templateError(`${name} asks for pool ${poolName}, which the plan does not define`);
    const allocated = input.addresses.find(
      (address) => address.interfaceName === name && address.pool === poolName,
    );
    if (!allocated)
      throw templateError(
        `no address was allocated for ${name} from pool ${poolName}; run allocateAddresses first`,
      );
    const cidr = `${allocated.address}/${allocated.prefix}`;
    device['dhcp4'] = false;
    device['addresses'] = [cidr];
    statics.push({ name, device, pool, address: allocated.address, prefix: allocated.prefix });
    return { addresses: [cidr], dhcp: false };
  };

  for (const bond of plan.bonds) {
    for (const member of bond.interfaces) physical(member, `bond ${bond.name}`);
    const device: NetplanDevice = { interfaces: [...bond.interfaces] };
    if (bond.mtu !== undefined) device['mtu'] = bond.mtu;
    device['parameters'] = bondParameters(bond.mode, bond.interfaces);
    const addressed = addressing(bond.name, bond.addresses, device);
    bonds[bond.name] = device;
    expected.push({ name: bond.name, kind: 'bond', members: [...bond.interfaces], ...addressed });
  }
  for (const vlan of plan.vlans) {
    if (!bonds[vlan.on]) physical(vlan.on, `VLAN ${vlan.name}`);
    const device: NetplanDevice = { id: vlan.id, link: vlan.on };
    if (vlan.mtu !== undefined) device['mtu'] = vlan.mtu;
    const addressed = addressing(vlan.name, vlan.addresses, device);
    vlans[vlan.name] = device;
    expected.push({ name: vlan.name, kind: 'vlan', parent: vlan.on, ...addressed });
  }
  if (input.bootNic && !ethernets[input.bootNic] && nicByName.has(input.bootNic)) {
    const nic = nicByName.get(input.bootNic);
    ethernets[input.bootNic] = {
      match: { macaddress: nic?.mac.toLowerCase() },
      'set-name': input.bootNic,
      dhcp4: true,
    };
    expected.push({ name: input.bootNic, kind: 'ethernet', addresses: [], dhcp: true });
  }

  let gatewayHolder = statics.find((entry) => entry.pool.gateway !== undefined);
  let gateway = gatewayHolder?.pool.gateway;
  if (!gatewayHolder && plan.gateway !== undefined) {
    const wanted = parseIpv4(plan.gateway);
    gatewayHolder = statics.find((entry) => {
      const network = parseCidr(entry.pool.cidr);
      return wanted !== undefined && network !== undefined && networkContains(network, wanted);
    });
    if (!gatewayHolder && statics.length > 0) {
      throw templateError(
        `gateway ${plan.gateway} is on none of this machine's networks (${statics.map((entry) => entry.pool.cidr).join(', ')})`,
      );
    }
    gateway = gatewayHolder ? plan.gateway : undefined;
  }
  if (gatewayHolder && gateway) gatewayHolder.device['routes'] = [{ to: 'default', via: gateway }];
  const dnsHolder = gatewayHolder ?? statics[0];
  if (dnsHolder && plan.dns.length > 0) dnsHolder.device['nameservers'] = { addresses: [...plan.dns] };

  const network: Record<string, unknown> = { version: 2, renderer: 'networkd' };
  if (Object.keys(ethernets).length > 0) network['ethernets'] = ethernets;
  if (Object.keys(bonds).length > 0) network['bonds'] = bonds;
  if (Object.keys(vlans).length > 0) network['vlans'] = vlans;
  const yaml = HEADER + stringify({ network }, { indentSeq: true, lineWidth: 0 });
  return {
    yaml,
    sha256: createHash('sha256').update(yaml).digest('hex'),
    expected,
    ...(gateway && gatewayHolder ? { gateway } : {}),
    ntp: [...plan.ntp],
  };
}

/** The interfaces of a plan that ask for a pool address: `{ interfaceName, pool }`. */
export function poolInterfaces(plan: NetworkPlan): Array<{ interfaceName: string; pool: string }> {
  return [...plan.bonds, ...plan.vlans]
    .filter((device) => device.addresses?.startsWith('pool/'))
    .map((device) => ({ interfaceName: device.name, pool: (device.addresses ?? '').slice('pool/'.length) }));
}
