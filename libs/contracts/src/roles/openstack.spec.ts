import { describe, expect, it } from 'vitest';
import { openStackReleasePlan } from './openstack';

describe('openStackReleasePlan', () => {
  it('puts the infrastructure charts first and the listed services in dependency order', () => {
    expect(openStackReleasePlan(['horizon', 'nova', 'keystone', 'neutron', 'glance', 'placement'])).toEqual({
      charts: [
        'mariadb',
        'rabbitmq',
        'memcached',
        'keystone',
        'glance',
        'placement',
        'nova',
        'neutron',
        'horizon',
      ],
      unknown: [],
    });
  });

  it('adds cinder and heat only when listed, and reports unknown names', () => {
    expect(openStackReleasePlan(['keystone', 'cinder', 'swift']).charts).toEqual([
      'mariadb',
      'rabbitmq',
      'memcached',
      'keystone',
      'cinder',
    ]);
    expect(openStackReleasePlan(['keystone', 'cinder', 'swift']).unknown).toEqual(['swift']);
    expect(openStackReleasePlan(['heat', 'keystone']).charts).toEqual([
      'mariadb',
      'rabbitmq',
      'memcached',
      'keystone',
      'heat',
    ]);
  });
});
