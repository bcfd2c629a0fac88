import { documentResponse, type BmcInternals } from './bmc-internals';
import { errorResponse, type BmcResponse } from './http-io';
import { RedfishError, resourceMissing } from './redfish-error';
import { TASK_MONITORS_PATH } from './task-store';

/**
 * `GET` a task monitor: 202 with the Task while it runs; afterwards the answer the operation would
 * have given synchronously (201 + Location and the Volume for a create, 204 for a delete, the Redfish
 * error for a failure), as DSP0266 describes for asynchronous operations.
 */
export function taskMonitor(bmc: BmcInternals, id: string): BmcResponse {
  const { tasks } = bmc.context;
  const task = tasks.get(id);
  if (!task) throw resourceMissing(`${TASK_MONITORS_PATH}/${id}`);
  switch (task.state) {
    case 'Running':
      return {
        status: 202,
        body: tasks.taskDocument(task),
        headers: { Location: tasks.monitorPath(task), 'Retry-After': '1' },
      };
    case 'Exception':
      return errorResponse(task.error ?? new RedfishError(500, 'InternalError', `task ${id} failed`));
    case 'Cancelled':
      return errorResponse(
        new RedfishError(500, 'OperationFailed', `Task ${id} was cancelled when the service stopped.`),
      );
    case 'Completed': {
      const outcome = task.outcome;
      if (outcome?.kind !== 'created') return { status: 204 };
      // The created resource may have been deleted since; the Location still tells what was made.
      const created = bmc.shape.render(outcome.location, bmc.context);
      if (!created) return { status: 201, headers: { Location: outcome.location } };
      const response = documentResponse(bmc, outcome.location, 201);
      return { ...response, headers: { ...response.headers, Location: outcome.location } };
    }
  }
}
