#!/usr/bin/env node
// Runs the TypeScript sources directly (no build step), as the rest of the workspace does.
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS launcher by design */
// The workspace's compiler settings (decorators…) apply wherever the command is run from.
process.env.SWC_NODE_PROJECT ??= require('node:path').join(__dirname, '../../../tsconfig.json');
require('@swc-node/register');
require('../src/main.ts');
