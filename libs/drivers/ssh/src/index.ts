export {
  createSshDriver,
  type SshDriver,
  type SshDriverOptions,
  type SecretResolver,
  type ExecOptions,
  type ExecResult,
  type SshProcess,
} from './ssh-driver';
export {
  createMemoryHostKeyStore,
  hostKeyFingerprint,
  type PinnedHostKey,
  type SshHostKeyStore,
} from './host-key-store';
export { BoundedOutput, truncationMarker } from './bounded-output';
export { shellQuote, shellCommand } from './shell-quote';
