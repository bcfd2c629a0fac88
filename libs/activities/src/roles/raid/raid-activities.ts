import { RoleError, type AppliedVolume, type RaidActivities } from '@plinth/contracts';
import {
  activityCallOptions,
  asRoleActivity,
  heartbeat,
  machineDriver,
  type BmcRoleDeps,
} from '../power/bmc-activity-support';
import { planRaidLayout, reconcileVolumes } from './raid-plan';

/** Dependencies of {@link createRaidActivities}. */
export type RaidDeps = BmcRoleDeps;

/** Builds the {@link RaidActivities} over BMC drivers. */
export const createRaidActivities = (deps: RaidDeps): RaidActivities => ({
  async applyRaidLayout(input) {
    return asRoleActivity(deps, 'raid', input, async (log) => {
      const { layout, role } = input;
      if (Object.keys(layout).length === 0)
        return { volumes: [], created: 0, deleted: 0, alreadyApplied: true };
      const { machine, driver } = await machineDriver(deps, input);
      const options = activityCallOptions(deps, 'raid');
      heartbeat({ stage: 'reading the RAID controller' });
      const storage = await driver.storage(options);
      const [levels, drives, existing] = [
        await storage.supportedLevels(options),
        await storage.listDrives(options),
        await storage.listVolumes(options),
      ];

      const plan = planRaidLayout(layout, drives, levels);
      if (!plan.ok) {
        const failed = plan.problems.filter((p) => p.code === 'DriveFailed');
        const code = failed.length > 0 ? 'DriveFailed' : 'UnsupportedRaidLevel';
        throw new RoleError(
          code,
          `${machine.name} (${role}): the RAID layout cannot be applied: ${plan.problems.map((p) => p.message).join('; ')}.`,
          { machine: machine.name, role, problems: plan.problems },
        );
      }

      const actions = reconcileVolumes(plan.volumes, existing, layout);
      if (actions.blocked.length > 0) {
        throw new RoleError(
          'ForeignVolumes',
          `${machine.name} (${role}): existing volumes occupy drives the layout needs: ${actions.blocked
            .map(
              ({ volume, specVolumes }) =>
                `volume ${volume.id} "${volume.name}" (${volume.level ?? 'unknown level'} on ${volume.driveIds.join(', ')}) is in the way of ${specVolumes.join(', ')}`,
            )
            .join(
              '; ',
            )}. Nothing was changed. Set wipe: true on those volumes in the cluster spec to let Plinth delete them, or remove them by hand.`,
          {
            machine: machine.name,
            role,
            blocking: actions.blocked.map(({ volume, specVolumes }) => ({ ...volume, specVolumes })),
          },
        );
      }

      const applied: AppliedVolume[] = actions.keep.map(({ planned, existing: volume }) => ({
        name: planned.name,
        level: planned.level,
        driveIds: planned.driveIds,
        volumeId: volume.id,
      }));
      for (const volume of actions.delete) {
        heartbeat({ stage: `deleting foreign volume ${volume.id}` });
        log?.info(
          { volumeId: volume.id, name: volume.name, driveIds: volume.driveIds },
          'deleting foreign volume (wipe: true)',
        );
        await storage.deleteVolume(volume.id, activityCallOptions(deps, `deleting volume ${volume.id}`));
      }
      for (const volume of actions.create) {
        heartbeat({ stage: `creating volume ${volume.name}` });
        log?.info({ name: volume.name, level: volume.level, driveIds: volume.driveIds }, 'creating volume');
        const created = await storage.createVolume(
          { name: volume.name, level: volume.level, driveIds: volume.driveIds },
          activityCallOptions(deps, `creating volume ${volume.name}`),
        );
        applied.push({
          name: volume.name,
          level: volume.level,
          driveIds: volume.driveIds,
          volumeId: created.id,
        });
      }
      const order = plan.volumes.map((v) => v.name);
      applied.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
      return {
        volumes: applied,
        created: actions.create.length,
        deleted: actions.delete.length,
        alreadyApplied: actions.create.length === 0 && actions.delete.length === 0,
      };
    });
  },
});
