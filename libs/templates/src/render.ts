import { createHash } from 'node:crypto';
import type nunjucks from 'nunjucks';
import { RoleError } from '@plinth/contracts';
import type { InstallerKind } from '@plinth/domain';
import type { InstallContext } from './context';

/** The files an installer fetches, by the name they are served under. */
export type InstallFileName = 'boot.ipxe' | 'user-data' | 'meta-data' | 'preseed.cfg' | 'ks.cfg';

/** Which template renders which file, per installer; `boot.ipxe` is always first. */
export const INSTALL_FILES: Record<InstallerKind, { file: InstallFileName; template: string }[]> = {
  autoinstall: [
    { file: 'boot.ipxe', template: 'ipxe/boot.ipxe.njk' },
    { file: 'user-data', template: 'autoinstall/user-data.njk' },
    { file: 'meta-data', template: 'autoinstall/meta-data.njk' },
  ],
  preseed: [
    { file: 'boot.ipxe', template: 'ipxe/boot.ipxe.njk' },
    { file: 'preseed.cfg', template: 'preseed/preseed.cfg.njk' },
  ],
  kickstart: [
    { file: 'boot.ipxe', template: 'ipxe/boot.ipxe.njk' },
    { file: 'ks.cfg', template: 'kickstart/ks.cfg.njk' },
  ],
};

/** The rendered files of one machine (in {@link INSTALL_FILES} order). */
export interface InstallRendering {
  installer: InstallerKind;
  files: Partial<Record<InstallFileName, string>>;
}

/**
 * Renders every file of the context's installer. A template failure (a missing variable, a value
 * a quoting filter refuses) becomes a non-retryable `TemplateError` naming the template and line.
 */
export function renderInstall(environment: nunjucks.Environment, context: InstallContext): InstallRendering {
  const files: InstallRendering['files'] = {};
  for (const { file, template } of INSTALL_FILES[context.os.installer]) {
    files[file] = renderTemplate(environment, template, context, context.machine.name);
  }
  return { installer: context.os.installer, files };
}

/** Why there is nothing to boot for a MAC (selects the message of the safe script). */
export type NoInstallReason = 'unknown-mac' | 'no-install' | 'bad-mac';

/** The safe iPXE script for a MAC with nothing to install: it says why and exits to the next boot device. */
export function renderNoInstallScript(
  environment: nunjucks.Environment,
  reason: NoInstallReason,
  mac: string | undefined,
): string {
  return renderTemplate(environment, 'ipxe/no-install.ipxe.njk', { reason, mac: mac ?? '' }, 'no-install');
}

/** The iPXE script for when the provisioner cannot answer: wait, then chain to `retryUrl` again. */
export function renderRetryScript(environment: nunjucks.Environment, retryUrl: string): string {
  return renderTemplate(environment, 'ipxe/retry.ipxe.njk', { retryUrl }, 'retry');
}

function renderTemplate(
  environment: nunjucks.Environment,
  template: string,
  context: object,
  what: string,
): string {
  try {
    return environment.render(template, context);
  } catch (error) {
    const message = error instanceof Error ? error.message.replace(/\s+/g, ' ').trim() : String(error);
    throw new RoleError('TemplateError', `Template ${template} failed for ${what}: ${message}`, { template });
  }
}

/** sha256 (hex) of rendered files, independent of object key order. */
export function filesHash(files: Partial<Record<string, string>>): string {
  const hash = createHash('sha256');
  for (const name of Object.keys(files).sort()) {
    const content = files[name] ?? '';
    hash.update(`${name}\u0000${Buffer.byteLength(content)}\u0000${content}`);
  }
  return hash.digest('hex');
}
