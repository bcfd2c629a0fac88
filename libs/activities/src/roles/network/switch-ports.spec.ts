import { describe, expect, it } from 'vitest';
import type { NetworkPlan } from '@plinth/domain';
import { gatewayOnLink, liveProblems } from './network-activities';
import { desiredPortConfigs } from './switch-ports';

const plan: NetworkPlan = {
  bonds: [
    { name: 'bond0', mode: '802.3ad', interfaces: ['eno1', 'eno2'] },
    { name: 'bond1', mode: 'active-backup', interfaces: ['eno3', 'eno4'], addresses: 'dhcp' },
  ],
  vlans: [
    { id: 130, on: 'bond0', name: 'tenant' },
    { id: 120, on: 'bond0', name: 'mgmt', addresses: 'pool/mgmt' },
  ],
  pools: {},
  dns: [],
  ntp: [],
};

describe('desiredPortConfigs', () => {
  it('trunks the VLANs of a bond onto its LACP members, and gives access ports elsewhere', () => {
    const configs = desiredPortConfigs(
      plan,
      'r1-w-01',
      [
        { nic: 'eno1', switchId: 'leaf1', portId: 'Ethernet1' },
        { nic: 'eno3', switchId: 'leaf2', portId: 'Ethernet1' },
        { nic: 'eno5', switchId: 'leaf2', portId: 'Ethernet9' },
      ],
      10,
    );
    expect(configs.map((entry) => entry.config)).toEqual([
      {
        mode: 'trunk',
        allowedVlans: [120, 130],
        lag: { name: 'r1-w-01-bond0', lacp: true },
        description: 'r1-w-01 eno1 (bond0)',
      },
      { mode: 'access', vlan: 10, description: 'r1-w-01 eno3 (bond1)' },
      { mode: 'access', vlan: 10, description: 'r1-w-01 eno5' },
    ]);
  });
});

describe('live network checks', () => {
  const live = [
    { ifname: 'eno1', master: 'bond0', addr_info: [] },
    { ifname: 'bond0', addr_info: [] },
    { ifname: 'mgmt', link: 'bond0', addr_info: [{ family: 'inet', local: '10.20.0.50', prefixlen: 24 }] },
  ];

  it('lists what differs from the expected interfaces', () => {
    expect(
      liveProblems(live, [
        { name: 'bond0', kind: 'bond', members: ['eno1', 'eno2'], addresses: [], dhcp: false },
        {
          name: 'mgmt',
          kind: 'vlan',
          parent: 'bond0',
          addresses: ['10.20.0.50/24', '10.20.0.51/24'],
          dhcp: false,
        },
        { name: 'storage', kind: 'vlan', parent: 'bond0', addresses: [], dhcp: false },
      ]),
    ).toEqual(['eno2 is not a member of bond0', 'mgmt lacks 10.20.0.51/24', 'storage does not exist']);
  });

  it('accepts a gateway on a configured network only', () => {
    expect(gatewayOnLink(live, '10.20.0.1')).toBe(true);
    expect(gatewayOnLink(live, '10.21.0.1')).toBe(false);
    expect(gatewayOnLink(live, '10.20.0.50')).toBe(false);
  });
});
