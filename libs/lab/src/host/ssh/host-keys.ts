import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';

/** An SSH host key pair as the installer would generate it (`/etc/ssh/ssh_host_ed25519_key`). */
export interface HostKey {
  /** OpenSSH private key text, what `ssh2`'s server takes. */
  privateKey: string;
  /** `ssh-ed25519 AAAA…` as in `ssh_host_ed25519_key.pub`. */
  publicKey: string;
  /** `SHA256:<base64 without padding>`, exactly what `ssh-keygen -lf` and OpenSSH's known-hosts prompt show. */
  sha256: string;
}

/**
 * A fresh ed25519 key pair in OpenSSH format, made with node:crypto (≈ 0.1 ms, cheap enough for
 * every install on 1,000 hosts). Not `ssh2`'s `utils.generateKeyPairSync`: about 1 in 200 of its
 * ed25519 keys (public keys starting with a zero byte) come out malformed and its own parser
 * rejects them.
 */
export function generateHostKey(comment = ''): HostKey {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const seed = Buffer.from(jwk.d ?? '', 'base64url');
  const publicRaw = Buffer.from(jwk.x ?? '', 'base64url');
  const publicBlob = Buffer.concat([sshString('ssh-ed25519'), sshString(publicRaw)]);
  const check = randomBytes(4);
  const secret = Buffer.concat([
    check,
    check,
    sshString('ssh-ed25519'),
    sshString(publicRaw),
    sshString(Buffer.concat([seed, publicRaw])),
    sshString(comment),
  ]);
  // The private section is padded with 1, 2, 3, … to a multiple of the (none) cipher's block size 8.
  const padding = Buffer.from(Array.from({ length: (8 - (secret.length % 8)) % 8 }, (_, index) => index + 1));
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0'),
    sshString('none'),
    sshString('none'),
    sshString(''),
    uint32(1),
    sshString(publicBlob),
    sshString(Buffer.concat([secret, padding])),
  ]);
  const wrapped = body.toString('base64').replace(/.{1,70}/g, '$&\n');
  const publicKey = `ssh-ed25519 ${publicBlob.toString('base64')}${comment ? ` ${comment}` : ''}`;
  return {
    privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${wrapped}-----END OPENSSH PRIVATE KEY-----\n`,
    publicKey,
    sha256: publicKeySha256(publicBlob),
  };
}

/** The OpenSSH SHA256 fingerprint of a public key line or raw key blob. */
export function publicKeySha256(publicKey: string | Buffer): string {
  const blob =
    typeof publicKey === 'string' ? Buffer.from(publicKey.trim().split(/\s+/)[1] ?? '', 'base64') : publicKey;
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

function uint32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value);
  return buffer;
}

function sshString(value: string | Buffer): Buffer {
  const data = typeof value === 'string' ? Buffer.from(value) : value;
  return Buffer.concat([uint32(data.length), data]);
}
