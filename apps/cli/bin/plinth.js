#!/usr/bin/env node
// Runs the TypeScript sources directly (no build step), as the rest of the workspace does.
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS launcher by design */
require('@swc-node/register');
require('../src/main.ts');
