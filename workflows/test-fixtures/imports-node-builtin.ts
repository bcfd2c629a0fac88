// Deliberately broken workflow module, excluded from `npm run lint` and linted on purpose by
// determinism.spec.ts and bundled by bundle.spec.ts: a Node or I/O import must never reach workflows.
import { readFileSync } from 'fs';
import { execSync } from 'node:child_process';
import { DataSource } from 'typeorm';
import { Injectable } from '@nestjs/common';
import { Client } from 'pg';

export async function readsAFile(): Promise<unknown[]> {
  return [readFileSync('/etc/hostname', 'utf8'), execSync, DataSource, Injectable, Client];
}
