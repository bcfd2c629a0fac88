// Deliberately broken workflow module for bundle.spec.ts: the Temporal bundler must refuse it.
import { readFileSync } from 'fs';

export async function readsAFile(): Promise<string> {
  return readFileSync('/etc/hostname', 'utf8');
}
