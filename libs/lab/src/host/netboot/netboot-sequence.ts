import type { InstalledOs, LabMachine } from '../../machine/lab-machine';
import { parseAutoinstall } from './autoinstall';
import { httpGetDiscard, httpGetText, NetbootError } from './http-get';
import { assertConfigIsForMachine, type ParsedInstallConfig } from './install-config';
import { runIpxeScript, type BootSelection } from './ipxe-script';
import { installSourceFromKernelArgs } from './kernel-args';
import { parseKickstart } from './kickstart';
import { detectOsVersion, enterpriseFamily } from './os-version';
import { parsePreseed } from './preseed';

/** Chains followed before giving up, so a script chaining to itself cannot loop forever. */
const MAX_CHAINS = 8;
const IPXE_AGENT = 'iPXE/1.21.1+ (g4bd064de)';

export interface NetbootResult {
  boot: BootSelection;
  config: ParsedInstallConfig;
  family: InstalledOs['family'];
  version: string;
}

/**
 * What a netbooting machine does up to the start of the installer: GET
 * `<netbootUrl>?mac=<bootMac>`, run the iPXE script (following `chain`), load the kernel and
 * initrds, boot, and let the installer fetch and check its config. Throws {@link NetbootError}.
 */
export async function netbootToInstaller(
  machine: LabMachine,
  netbootUrl: string,
  hostIp: string,
  signal: AbortSignal,
): Promise<NetbootResult> {
  const boot = await runIpxe(machine, netbootUrl, hostIp, signal);
  for (const [what, url] of [
    ['kernel', boot.kernelUrl],
    ...boot.initrdUrls.map((url) => ['initrd', url] as const),
  ] as const) {
    await httpGetDiscard(url, { what: `iPXE ${what}`, userAgent: IPXE_AGENT, signal });
  }
  const source = installSourceFromKernelArgs(boot.kernelArgs);
  const nics = machine.hardware.nics;
  let config: ParsedInstallConfig;
  let family: InstalledOs['family'];
  let sourceName: string;
  switch (source.format) {
    case 'autoinstall': {
      const options = { userAgent: 'Cloud-Init/24.2-0ubuntu1~24.04.2', signal };
      const userData = await httpGetText(`${source.seedUrl}user-data`, {
        ...options,
        what: 'cloud-init user-data',
      });
      const metaData = await httpGetText(`${source.seedUrl}meta-data`, {
        ...options,
        what: 'cloud-init meta-data',
      });
      sourceName = source.seedUrl;
      config = parseAutoinstall(userData.text, metaData.text, nics, source.seedUrl);
      family = 'ubuntu';
      break;
    }
    case 'preseed': {
      const preseed = await httpGetText(source.url, { what: 'preseed', userAgent: 'Wget/1.21.3', signal });
      sourceName = source.url;
      config = parsePreseed(preseed.text, nics, source.url);
      family = 'debian';
      break;
    }
    case 'kickstart': {
      const kickstart = await httpGetText(source.url, {
        what: 'kickstart',
        userAgent: 'anaconda/34.25.4.9',
        signal,
      });
      sourceName = source.url;
      config = parseKickstart(kickstart.text, nics, source.url);
      family = enterpriseFamily([boot.kernelUrl, boot.kernelArgs, ...config.versionHints]);
      break;
    }
  }
  assertConfigIsForMachine(config, machine.bootMac, sourceName);
  const version = detectOsVersion(family, [
    boot.kernelUrl,
    ...boot.initrdUrls,
    boot.kernelArgs,
    ...config.versionHints,
  ]);
  return { boot, config, family, version };
}

async function runIpxe(
  machine: LabMachine,
  netbootUrl: string,
  hostIp: string,
  signal: AbortSignal,
): Promise<BootSelection> {
  const first = new URL(netbootUrl);
  first.searchParams.set('mac', machine.bootMac);
  let url = first.toString();
  const vars = new Map<string, string>();
  let pendingArgs = '';
  const environment = {
    mac: machine.bootMac,
    ip: hostIp,
    uuid: uuidFromSerial(machine.hardware.serial),
    serial: machine.hardware.serial,
    manufacturer: machine.hardware.manufacturer,
    product: machine.hardware.model,
  };
  for (let hop = 0; hop <= MAX_CHAINS; hop++) {
    const script = await httpGetText(url, { what: 'iPXE script', userAgent: IPXE_AGENT, signal });
    // `chain` may load a kernel directly instead of another script.
    if (!script.text.startsWith('#!ipxe')) {
      if (hop === 0)
        throw new NetbootError(`boot script ${url} is not an iPXE script (no "#!ipxe" first line)`);
      return { kernelUrl: url, initrdUrls: [], kernelArgs: pendingArgs };
    }
    const outcome = runIpxeScript(script.text, script.url, environment, vars);
    if (outcome.kind === 'boot') return outcome.selection;
    url = outcome.url;
    pendingArgs = outcome.args;
  }
  throw new NetbootError(`iPXE: more than ${MAX_CHAINS} chained scripts from ${netbootUrl}`);
}

/** SMBIOS UUID shape derived from the serial, stable per machine. */
function uuidFromSerial(serial: string): string {
  const hex = Buffer.from(serial.padEnd(16, '0')).toString('hex').slice(0, 32).padEnd(32, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
