import type { RunRecordActivities } from '@plinth/contracts';
import type { RunRepository } from '@plinth/db';

/** Builds the {@link RunRecordActivities} over the database's run repository. */
export const createRunRecordActivities = (runs: RunRepository): RunRecordActivities => ({
  async recordRunStatus({ runId, status, temporalRunId }) {
    await runs.setStatus(runId, status, temporalRunId);
  },
  async recordMachineStep(input) {
    await runs.recordMachineStep(input);
  },
});
