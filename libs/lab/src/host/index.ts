export { HostSimulator, type HostSimulatorOptions } from './host-simulator';
export {
  LabWorld,
  KubeCluster,
  type KubeNode,
  type HelmRelease,
  type KubeletHost,
  type NodeReadiness,
} from './emulation/lab-world';
export { EMULATED_COMMANDS } from './emulation/commands';
export { NetbootError } from './netboot/http-get';
export type { CallbackBody, InstallerCallback } from './netboot/installer-callback';
export { generateHostKey, publicKeySha256, type HostKey } from './ssh/host-keys';
export { sshExec, type SshExecResult, type SshExecOptions } from './ssh/ssh-exec';
