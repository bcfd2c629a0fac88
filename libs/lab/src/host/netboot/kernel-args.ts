import { NetbootError } from './http-get';

/**
 * Where the installer that just booted finds its unattended configuration, read from the kernel
 * command line the way each installer reads it:
 * - Ubuntu subiquity: `autoinstall ds=nocloud-net;s=<base>/` (cloud-init NoCloud; `seedfrom=` and
 *   `ds=nocloud;s=` too) → `<base>user-data` and `<base>meta-data`;
 * - debian-installer: `url=<preseed>` (or `preseed/url=`) with `auto=true` (or `auto`);
 * - anaconda: `inst.ks=<kickstart>` (or the legacy `ks=`).
 */
export type InstallSource =
  | { format: 'autoinstall'; seedUrl: string }
  | { format: 'preseed'; url: string }
  | { format: 'kickstart'; url: string };

/** Split a kernel command line into `key → value` (last wins) and bare words, honouring quotes. */
export function parseKernelArgs(commandLine: string): { values: Map<string, string>; words: Set<string> } {
  const values = new Map<string, string>();
  const words = new Set<string>();
  const tokens = commandLine.match(/(?:[^\s"']+|"[^"]*"|'[^']*')+/g) ?? [];
  for (const token of tokens) {
    const unquoted = token.replace(
      /"([^"]*)"|'([^']*)'/g,
      (_, double: string | undefined, single: string | undefined) => double ?? single ?? '',
    );
    const equals = unquoted.indexOf('=');
    if (equals < 0) words.add(unquoted);
    else values.set(unquoted.slice(0, equals), unquoted.slice(equals + 1));
  }
  return { values, words };
}

export function installSourceFromKernelArgs(commandLine: string): InstallSource {
  const { values, words } = parseKernelArgs(commandLine);
  const kickstart = values.get('inst.ks') ?? values.get('ks');
  if (kickstart !== undefined) {
    if (!/^https?:\/\//.test(kickstart)) {
      throw new NetbootError(
        `kernel argument inst.ks=${kickstart}: the lab serves kickstarts over HTTP only`,
      );
    }
    return { format: 'kickstart', url: kickstart };
  }
  const datasource = values.get('ds');
  if (datasource !== undefined) {
    const [name = '', ...settings] = datasource.split(';');
    if (name !== 'nocloud-net' && name !== 'nocloud') {
      throw new NetbootError(
        `kernel argument ds=${datasource}: the lab emulates the NoCloud datasource only`,
      );
    }
    const setting = (key: string): string | undefined =>
      settings.find((entry) => entry.startsWith(`${key}=`))?.slice(key.length + 1);
    const seedUrl = setting('s') ?? setting('seedfrom');
    if (!seedUrl || !/^https?:\/\//.test(seedUrl)) {
      throw new NetbootError(`kernel argument ds=${datasource} names no http(s) seed URL (s=<url>/)`);
    }
    if (!words.has('autoinstall')) {
      throw new NetbootError(
        'kernel command line has a NoCloud seed but no "autoinstall" argument: subiquity would stop and ask for confirmation at the console',
      );
    }
    return { format: 'autoinstall', seedUrl };
  }
  const preseed = values.get('url') ?? values.get('preseed/url');
  if (preseed !== undefined) {
    const auto =
      words.has('auto') || values.get('auto') === 'true' || values.get('auto-install/enable') === 'true';
    if (!auto) {
      throw new NetbootError(
        `kernel command line has url=${preseed} but not auto=true: debian-installer would ask its first questions before fetching the preseed`,
      );
    }
    if (!/^https?:\/\//.test(preseed)) {
      throw new NetbootError(
        `kernel argument url=${preseed} is not an http(s) URL (the lab does not expand bare host names)`,
      );
    }
    return { format: 'preseed', url: preseed };
  }
  throw new NetbootError(
    `kernel command line "${commandLine}" names no install config (expected "autoinstall ds=nocloud-net;s=<url>/", "url=<preseed> auto=true" or "inst.ks=<url>")`,
  );
}
