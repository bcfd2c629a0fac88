/**
 * Workflow updates (spec §9). An update is not an event until the worker accepts it: it travels
 * to the worker as a protocol message on a workflow task, and comes back as Acceptance /
 * Rejection / Response messages in the completion.
 */
import { notFound } from '../errors';
import { temporal } from '../proto';
import { int64 } from '../time';

const Stage = temporal.api.enums.v1.UpdateWorkflowExecutionLifecycleStage;
type Stage = temporal.api.enums.v1.UpdateWorkflowExecutionLifecycleStage;
type IOutcome = temporal.api.update.v1.IOutcome;

const REQUEST_TYPE_URL = 'type.googleapis.com/temporal.api.update.v1.Request';

/** Snapshot returned to UpdateWorkflowExecution / PollWorkflowExecutionUpdate callers. */
export interface UpdateStatus {
  stage: Stage;
  outcome?: IOutcome;
}

export class UpdateState {
  stage: Stage = Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED;
  outcome?: IOutcome;
  acceptedEventId = 0;
  /** Scheduled event id of the workflow task carrying the request, 0 when not in flight. */
  deliveredWith = 0;
  /** Set when the run closed before the update completed. */
  abortedMessage?: string;
  private waiters: Array<() => void> = [];

  constructor(
    readonly updateId: string,
    readonly request: temporal.api.update.v1.IRequest,
  ) {}

  /** The request message for the workflow task `scheduledEventId`, unless already sent or accepted. */
  deliver(scheduledEventId: number): temporal.api.protocol.v1.IMessage | null {
    if (this.stage !== Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED || this.deliveredWith)
      return null;
    this.deliveredWith = scheduledEventId;
    return {
      id: `${this.updateId}/request`,
      protocolInstanceId: this.updateId,
      eventId: int64(scheduledEventId),
      body: {
        type_url: REQUEST_TYPE_URL,
        value: temporal.api.update.v1.Request.encode(
          temporal.api.update.v1.Request.fromObject(this.request),
        ).finish(),
      },
    };
  }

  /** The task carrying the request was not completed: send it again with the next one. */
  undeliver(): void {
    if (this.stage === Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED) this.deliveredWith = 0;
  }

  get awaitingDelivery(): boolean {
    return (
      this.stage === Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED &&
      !this.deliveredWith &&
      !this.abortedMessage
    );
  }

  accepted(eventId: number): void {
    this.stage = Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED;
    this.acceptedEventId = eventId;
    this.notify();
  }

  completed(outcome: IOutcome): void {
    this.stage = Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED;
    this.outcome = outcome;
    this.notify();
  }

  /** The run closed: waiters on an unfinished update get NOT_FOUND, as from the real server. */
  abortOnClose(): void {
    if (this.stage === Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED) return;
    this.abortedMessage =
      'Workflow Update failed because the Workflow completed before the Update completed.';
    this.notify();
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /**
   * Waits until the update reaches `stage` (or completes), at most `timeoutMs`, then reports where
   * it is; the caller re-polls when the stage was not reached.
   */
  async waitFor(stage: Stage, timeoutMs: number, signal?: AbortSignal): Promise<UpdateStatus> {
    const reached = (): boolean =>
      !!this.abortedMessage ||
      this.stage >= Math.max(stage, Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED);
    if (!reached() && !signal?.aborted) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', done);
          this.waiters = this.waiters.filter((w) => w !== check);
          resolve();
        };
        const check = (): void => {
          if (reached()) done();
          else this.waiters.push(check);
        };
        const timer = setTimeout(done, timeoutMs).unref();
        signal?.addEventListener('abort', done, { once: true });
        this.waiters.push(check);
      });
    }
    if (this.abortedMessage) throw notFound(this.abortedMessage);
    return this.outcome ? { stage: this.stage, outcome: this.outcome } : { stage: this.stage };
  }
}
