import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type nunjucks from 'nunjucks';
import { describe, expect, it } from 'vitest';
import { RoleError } from '@plinth/contracts';
import { buildInstallContext } from './context';
import { createTemplateEnvironment, TEMPLATES_DIR } from './environment';
import { renderInstall, renderNoInstallScript, renderRetryScript } from './render';
import { GOLDEN_ENDPOINTS, INSTALL_CASES, KEYS, cluster, machine } from './testing/install-cases';

/**
 * Golden files: every template and snippet rendered for the cases in testing/install-cases.ts and
 * compared byte for byte with libs/templates/src/__golden__/. After an intended template change,
 * regenerate them with `PLINTH_UPDATE_GOLDEN=1 npx vitest run --project fast libs/templates` and
 * review the diff like code.
 */
const GOLDEN_DIR = join(__dirname, '__golden__');
const update = process.env['PLINTH_UPDATE_GOLDEN'] === '1';

/** Records which template files a render loads, to prove every one of them is covered. */
const loaded = new Set<string>();
const environment = createTemplateEnvironment();
const originalGetTemplate = environment.getTemplate.bind(environment) as (
  ...args: unknown[]
) => nunjucks.Template;
(environment as unknown as { getTemplate: (...args: unknown[]) => nunjucks.Template }).getTemplate = (
  ...args
) => {
  if (typeof args[0] === 'string') loaded.add(args[0]);
  return originalGetTemplate(...args);
};

function golden(path: string, actual: string): void {
  const file = join(GOLDEN_DIR, path);
  if (update || !existsSync(file)) {
    if (!update)
      throw new Error(
        `no golden file ${relative(process.cwd(), file)}: run with PLINTH_UPDATE_GOLDEN=1 to create it`,
      );
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, actual);
  }
  expect(actual, `rendering differs from ${relative(process.cwd(), file)}`).toBe(readFileSync(file, 'utf8'));
}

describe('install templates against their golden files', () => {
  it.each(INSTALL_CASES.map((installCase) => [installCase.name, installCase] as const))(
    '%s',
    (name, installCase) => {
      const rendering = renderInstall(
        environment,
        buildInstallContext(installCase.subject, GOLDEN_ENDPOINTS),
      );
      const files = Object.entries(rendering.files);
      expect(files.length).toBeGreaterThanOrEqual(2);
      for (const [file, content] of files) golden(`${name}/${file}`, content ?? '');
    },
  );

  it.each([
    ['unknown-mac', '52:54:00:99:99:99'],
    ['no-install', '52:54:00:aa:00:01'],
    ['bad-mac', undefined],
  ] as const)('the safe iPXE script for %s', (reason, mac) => {
    golden(`ipxe-no-install/${reason}.ipxe`, renderNoInstallScript(environment, reason, mac));
  });

  it('the retry iPXE script', () => {
    golden(
      'ipxe-retry/retry.ipxe',
      renderRetryScript(environment, 'http://10.0.0.2:3000/boot/ipxe?mac=52:54:00:aa:00:01'),
    );
  });

  it('covers every template and snippet of the library', () => {
    // Runs after the cases above (vitest runs a file's tests in order).
    const all: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir)) {
        const path = join(dir, entry);
        if (statSync(path).isDirectory()) walk(path);
        else all.push(relative(TEMPLATES_DIR, path));
      }
    };
    walk(TEMPLATES_DIR);
    expect(all.length).toBeGreaterThan(30);
    expect(all.filter((template) => !loaded.has(template))).toEqual([]);
  });
});

describe('rendering refuses what it cannot write safely', () => {
  const base = INSTALL_CASES[0]!.subject;

  it('lists every bad param at once, as a non-retryable TemplateError', () => {
    const attempt = () =>
      buildInstallContext(
        {
          ...base,
          params: {
            sshKeys: [KEYS.ops, 'ssh-rsa not-a-key'],
            user: 'Root User',
            mirror: 'ftp://mirror.example/debian',
            ntp: ['ntp.example.org', 'bad host!'],
            kernelArgs: ['console=ttyS0 quiet'],
            passwordHash: 'hunter2',
          },
        },
        GOLDEN_ENDPOINTS,
      );
    expect(attempt).toThrowError(RoleError);
    try {
      attempt();
    } catch (error) {
      const roleError = error as RoleError;
      expect(roleError.code).toBe('TemplateError');
      expect(roleError.retryable).toBe(false);
      const paths = (roleError.details?.['problems'] as { path: string }[]).map((problem) => problem.path);
      expect(paths).toEqual([
        'params.user',
        'params.sshKeys[1]',
        'params.passwordHash',
        'params.ntp[1]',
        'params.mirror',
        'params.kernelArgs[0]',
      ]);
    }
  });

  it('never quotes a value that came from a secret in its messages', () => {
    const secretValue = 'ssh-rsa leaked-secret-value';
    try {
      buildInstallContext(
        {
          ...base,
          params: { sshKeys: [secretValue], passwordHash: 'hunter2-secret' },
          revealed: [secretValue, 'hunter2-secret'],
        },
        GOLDEN_ENDPOINTS,
      );
      expect.unreachable('bad params must throw');
    } catch (error) {
      const text = `${(error as Error).message} ${JSON.stringify((error as RoleError).details)}`;
      expect(text).toContain('params.passwordHash');
      expect(text).not.toContain('leaked-secret-value');
      expect(text).not.toContain('hunter2-secret');
    }
  });

  it('needs at least one SSH key: roles could not log in without one', () => {
    expect(() => buildInstallContext({ ...base, params: {} }, GOLDEN_ENDPOINTS)).toThrowError(
      /params\.sshKeys: must list at least one/,
    );
  });

  it('refuses software RAID without discovered drives, and for Debian', () => {
    const raid = {
      'control-plane': { os: { level: 'raid1' as const, drives: 'smallest-2' as const, wipe: false } },
    };
    expect(() =>
      buildInstallContext(
        {
          ...base,
          cluster: cluster({ family: 'ubuntu', version: '24.04' }, { raid }),
          params: { sshKeys: [KEYS.ops], storage: { softwareRaid: true } },
        },
        GOLDEN_ENDPOINTS,
      ),
    ).toThrowError(/run discovery first/);
    expect(() =>
      buildInstallContext(
        {
          ...base,
          cluster: cluster({ family: 'debian', version: '12' }, { raid }),
          params: { sshKeys: [KEYS.ops], storage: { softwareRaid: true } },
        },
        GOLDEN_ENDPOINTS,
      ),
    ).toThrowError(/preseed snippets do not build software RAID/);
  });

  it('refuses a Debian release it has no mirror suite for', () => {
    expect(() =>
      buildInstallContext(
        { ...base, cluster: cluster({ family: 'debian', version: '7' }), params: { sshKeys: [KEYS.ops] } },
        GOLDEN_ENDPOINTS,
      ),
    ).toThrowError(/Debian 7 is not a release Plinth knows/);
  });

  it('turns a template failure into a TemplateError naming the template', () => {
    const context = buildInstallContext(
      { ...base, machine: machine('r1-cp-01', '52:54:00:aa:00:01') },
      GOLDEN_ENDPOINTS,
    );
    // A token with a space would split the kernel line: the ipxe filter refuses it.
    const broken = { ...context, boot: { ...context.boot, configUrl: 'http://x/ has space/' } };
    expect(() => renderInstall(environment, broken)).toThrowError(
      /Template ipxe\/boot\.ipxe\.njk failed for r1-cp-01: .*not a single iPXE word/,
    );
    const missing = { ...context, machine: { ...context.machine, hostname: undefined as unknown as string } };
    expect(() => renderInstall(environment, missing)).toThrowError(RoleError);
  });
});
