import type { SwitchPortLink } from '@plinth/contracts';
import type { NetworkPlan } from '@plinth/domain';
import type { PortConfig } from '@plinth/driver-switch';

/**
 * The switch-port configuration a machine's plan needs, per cabled NIC:
 * - a NIC (or the bond it belongs to) carrying VLANs → trunk with those VLANs tagged and
 *   `untaggedVlan` native when the NIC or bond has an address of its own;
 * - otherwise → access port on `untaggedVlan`;
 * - members of an 802.3ad bond join one LACP group per machine and bond (`<machine>-<bond>`);
 *   other bond modes need no switch-side group.
 * Pure: the same plan gives the same configuration.
 */
export function desiredPortConfigs(
  plan: NetworkPlan,
  machineName: string,
  links: SwitchPortLink[],
  untaggedVlan = 1,
): Array<SwitchPortLink & { config: PortConfig }> {
  return links.map((link) => {
    const bond = plan.bonds.find((candidate) => candidate.interfaces.includes(link.nic));
    const carrier = bond?.name ?? link.nic;
    const tagged = plan.vlans.filter((vlan) => vlan.on === carrier).map((vlan) => vlan.id);
    const untagged = bond ? bond.addresses !== undefined : true;
    const description = `${machineName} ${link.nic}${bond ? ` (${bond.name})` : ''}`;
    const lag = bond?.mode === '802.3ad' ? { lag: { name: `${machineName}-${bond.name}`, lacp: true } } : {};
    const config: PortConfig =
      tagged.length > 0
        ? {
            mode: 'trunk',
            allowedVlans: [...tagged].sort((a, b) => a - b),
            ...(untagged ? { nativeVlan: untaggedVlan } : {}),
            ...lag,
            description,
          }
        : { mode: 'access', vlan: untaggedVlan, ...lag, description };
    return { ...link, config };
  });
}
