import { describe, expect, it } from 'vitest';
import {
  classifyIpmitoolFailure,
  fruIdentity,
  parseBootParameter5,
  parseFru,
  parsePowerStatus,
  sessionNeverOpened,
} from './ipmi-output';

// Output captured from Debian 12's ipmitool 1.8.19 against ipmi_sim (openipmi 2.0.33).
const BOOTPARAM_PXE = `Boot parameter version: 1
Boot parameter 5 is valid/unlocked
Boot parameter data: 0004000000
 Boot Flags :
   - Boot Flag Invalid
   - Options apply to only next boot
   - BIOS PC Compatible (legacy) boot 
   - Boot Device Selector : Force PXE
   - BIOS verbosity : System Default
`;
const BOOTPARAM_NONE = BOOTPARAM_PXE.replace('Force PXE', 'No override');
const FRU = ` Chassis Type          : Rack Mount Chassis
 Chassis Part Number   : PL-C1U
 Chassis Serial        : SN-ipmi-x
 Board Mfg Date        : Unspecified
 Board Mfg             : Plinth Lab
 Board Product         : PL-C1U
 Board Serial          : SN-ipmi-x
 Product Manufacturer  : Plinth Lab
 Product Name          : PL-1100C
 Product Version       : 2.4.1
 Product Serial        : LC0001
`;

describe('ipmitool output', () => {
  it('reads power status', () => {
    expect(parsePowerStatus('Chassis Power is on\n')).toBe('On');
    expect(parsePowerStatus('Chassis Power is off\n')).toBe('Off');
    expect(parsePowerStatus('garbage')).toBeUndefined();
  });

  it('reads the boot override from the device selector and its persistence', () => {
    expect(parseBootParameter5(BOOTPARAM_PXE)).toEqual({ enabled: 'Once', target: 'Pxe' });
    expect(parseBootParameter5(BOOTPARAM_NONE)).toEqual({ enabled: 'Disabled', target: 'None' });
    expect(parseBootParameter5(BOOTPARAM_PXE.replace('only next boot', 'all future boots'))).toEqual({
      enabled: 'Continuous',
      target: 'Pxe',
    });
    expect(
      parseBootParameter5(BOOTPARAM_PXE.replace('Force PXE', 'Force Boot from default Hard-Drive')),
    ).toEqual({
      enabled: 'Once',
      target: 'Hdd',
    });
    expect(parseBootParameter5('nothing useful')).toBeUndefined();
  });

  it('takes identity from the product area first', () => {
    expect(fruIdentity(parseFru(FRU))).toEqual({
      serial: 'LC0001',
      manufacturer: 'Plinth Lab',
      model: 'PL-1100C',
    });
    expect(fruIdentity(parseFru(' Board Serial : B1\n Board Mfg : Acme\n'))).toEqual({
      serial: 'B1',
      manufacturer: 'Acme',
    });
  });

  it('tells refused credentials from silence from a refused command', () => {
    expect(
      classifyIpmitoolFailure(
        '> RAKP 2 HMAC is invalid\nError: Unable to establish IPMI v2 / RMCP+ session\n',
        '',
      ),
    ).toBe('auth');
    expect(classifyIpmitoolFailure('RAKP 2 message indicates an error : unauthorized name\n', '')).toBe(
      'auth',
    );
    const silence =
      'Get Auth Capabilities error\nError issuing Get Channel Authentication Capabilities request\nError: Unable to establish IPMI v2 / RMCP+ session\n';
    expect(classifyIpmitoolFailure(silence, '')).toBe('unreachable');
    expect(sessionNeverOpened(silence)).toBe(true);
    expect(classifyIpmitoolFailure('Set Chassis Boot Parameter 5 failed: Unspecified error\n', '')).toBe(
      'refused',
    );
  });
});
