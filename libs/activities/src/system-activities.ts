import type { SystemActivities, WorkerIdentity } from '@plinth/contracts';

/** Builds the {@link SystemActivities}. The worker app passes the identity it registered with Temporal. */
export const createSystemActivities = (deps: WorkerIdentity): SystemActivities => ({
  async ping(message) {
    return { message, workerIdentity: deps.workerIdentity, plinthVersion: deps.plinthVersion };
  },
});
