import { createHash } from 'node:crypto';
import type { JsonObject } from './json';

/** A link object. */
export const ref = (path: string): JsonObject => ({ '@odata.id': path });

/** `Status` of a present, healthy resource (or with the given health). */
export const status = (health: 'OK' | 'Warning' | 'Critical' = 'OK'): JsonObject => ({
  State: 'Enabled',
  Health: health,
});

/** A resource collection document shaped as the DMTF mockups shape theirs. */
export function collection(type: string, name: string, path: string, members: string[]): JsonObject {
  return {
    '@odata.type': `#${type}.${type}`,
    '@odata.id': path,
    Name: name,
    'Members@odata.count': members.length,
    Members: members.map(ref),
  };
}

/** Weak ETag of a serialised document: it changes whenever the representation changes. */
export function etagOf(serialised: string): string {
  return `W/"${createHash('sha1').update(serialised).digest('hex').slice(0, 20)}"`;
}

/** A stable UUID-formatted identifier derived from `seed` (SMBIOS UUIDs must not change across requests). */
export function stableUuid(seed: string): string {
  const hex = createHash('sha1').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** `If-Match` satisfied by `etag`? Absent header or `*` always match; weak comparison as RFC 9110 allows for If-Match here. */
export function ifMatchSatisfied(header: string | undefined, etag: string): boolean {
  if (header === undefined || header.trim() === '*') return true;
  const opaque = (tag: string): string => tag.trim().replace(/^W\//, '');
  return header.split(',').some((candidate) => opaque(candidate) === opaque(etag));
}
