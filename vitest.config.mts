import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

/**
 * Two projects: `fast` (unit and contract tests, run by `nx affected -t test`) and `slow`
 * (suites that start servers: lab, end-to-end, dev-server conformance). `npm test` runs both.
 * SWC compiles the TypeScript so NestJS gets decorator metadata, exactly as at run time.
 */
const shared = {
  plugins: [swc.vite({ module: { type: 'es6' } })],
};
/** One real embedded PostgreSQL per project run; each test file creates its own database on it. */
const globalSetup = ['libs/db/src/testing/postgres-global-setup.ts'];

export default defineConfig({
  test: {
    projects: [
      {
        ...shared,
        test: {
          name: 'fast',
          globalSetup,
          include: ['{apps,libs,workflows}/**/*.spec.ts'],
          exclude: ['**/node_modules/**', '**/*.slow.spec.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        ...shared,
        test: {
          name: 'slow',
          globalSetup,
          include: ['{apps,libs,workflows}/**/*.slow.spec.ts', 'test/**/*.spec.ts'],
          exclude: ['**/node_modules/**'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
