import type { CommandDefinition } from '../command';
import { coreutilsCommands } from './coreutils';
import { helmCommand } from './helm';
import { kubeadmCommand } from './kubeadm';
import { kubectlCommand } from './kubectl';
import { networkCommands } from './network';
import { packageCommands } from './packages';
import { systemCommands } from './system';

/** Every command a lab host emulates, by name. EMULATED-COMMANDS.md documents each one. */
export const EMULATED_COMMANDS: ReadonlyMap<string, CommandDefinition> = new Map(
  Object.entries({
    ...coreutilsCommands,
    ...systemCommands,
    ...networkCommands,
    ...packageCommands,
    kubeadm: kubeadmCommand,
    kubectl: kubectlCommand,
    helm: helmCommand,
  }),
);
