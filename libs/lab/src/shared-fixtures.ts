import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * Third-party reference material (DMTF Redfish mockups, the ipmi_sim configuration) lives in
 * `../shared` beside the project and is read from there at run time, never copied in.
 * `PLINTH_SHARED_DIR` overrides the search.
 */
export function sharedFixturesDir(): string {
  const override = process.env['PLINTH_SHARED_DIR'];
  if (override) {
    const fixtures = join(resolve(override), 'fixtures');
    if (!existsSync(fixtures)) throw new Error(`PLINTH_SHARED_DIR=${override} has no fixtures/ folder`);
    return fixtures;
  }
  for (const start of [process.cwd(), __dirname]) {
    for (let dir = resolve(start); ; dir = dirname(dir)) {
      const candidate = join(dir, '..', 'shared', 'fixtures');
      if (existsSync(candidate)) return resolve(candidate);
      if (dirname(dir) === dir) break;
    }
  }
  throw new Error(
    `the shared reference material (a "shared/fixtures" folder beside the project) was not found from ${process.cwd()}; ` +
      'put it beside the project or set PLINTH_SHARED_DIR',
  );
}
