import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import type { AuthenticatedRequest } from '../auth/auth.guard';
import { ApiAuthErrors } from '../common/api-docs';
import { ApiError } from '../common/api-error';
import { ApproveRunDto, EventsQueryDto, ListRunsQueryDto, PauseRunDto } from './dto/run-requests.dto';
import { RunsService, type EventsPage, type RunView } from './runs.service';
import { CLUSTERS } from '../infrastructure/tokens';
import { Inject } from '@nestjs/common';
import type { ClusterRepository } from '@plinth/db';

const RUN_EXAMPLE = {
  id: '7d1f6c9e-3b1a-4a52-9a57-1f6d3f0c2b11',
  cluster: { id: '0b8e…', name: 'lab-1' },
  revision: 1,
  kind: 'deploy',
  status: 'running',
  requestedBy: 'admin',
  workflow: { id: 'deploy/0b8e…/1', runId: '…', namespace: 'default' },
};

/** Deployments and their runs: launch, inspect, follow, steer. */
@ApiTags('runs')
@ApiAuthErrors()
@Controller()
export class RunsController {
  constructor(
    private readonly runs: RunsService,
    @Inject(CLUSTERS) private readonly clusters: ClusterRepository,
  ) {}

  /**
   * Starts a deployment of the cluster's current revision as a Temporal workflow. Send an
   * `Idempotency-Key` to make the call safe to repeat: the same key returns the same run (200).
   */
  @Post('clusters/:name/deployments')
  @ApiOperation({ summary: "Launch a deployment of the cluster's current revision" })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Any unique string (≤ 200 characters), e.g. a UUID',
  })
  @ApiCreatedResponse({ description: 'Run started', schema: { example: RUN_EXAMPLE } })
  @ApiOkResponse({ description: 'The run an earlier call with the same Idempotency-Key started' })
  @ApiConflictResponse({ description: 'RUN_ACTIVE, IDEMPOTENCY_KEY_REUSED or CLUSTER_NOT_DEPLOYABLE' })
  async deploy(
    @Param('name') name: string,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) response: Response,
  ): Promise<RunView> {
    if (idempotencyKey !== undefined && !/^[\x21-\x7e]{1,200}$/.test(idempotencyKey))
      throw new ApiError(
        HttpStatus.BAD_REQUEST,
        'INVALID_IDEMPOTENCY_KEY',
        'Idempotency-Key must be 1-200 printable ASCII characters without spaces, e.g. a UUID.',
      );
    const { run, created } = await this.runs.launchDeployment(name, request.principal.name, idempotencyKey);
    response.status(created ? HttpStatus.CREATED : HttpStatus.OK).location(`/runs/${run.id}`);
    return run;
  }

  /** Runs, newest first, from the database, with active ones checked against Temporal. */
  @Get('runs')
  @ApiOperation({ summary: 'List runs (filters: cluster, kind, status)' })
  @ApiOkResponse({ schema: { example: [RUN_EXAMPLE] } })
  async list(@Query() query: ListRunsQueryDto): Promise<RunView[]> {
    let clusterId: string | undefined;
    if (query.cluster) {
      const cluster = await this.clusters.findByName(query.cluster);
      if (!cluster) return [];
      clusterId = cluster.id;
    }
    return this.runs.list({
      clusterId,
      kind: query.kind,
      status: query.statuses(),
      limit: query.limit,
      before: query.before ? new Date(query.before) : undefined,
    });
  }

  /** The run with per-machine, per-role progress and errors in operator words. */
  @Get('runs/:id')
  @ApiOperation({ summary: 'Show a run with per-machine, per-role progress' })
  @ApiOkResponse({
    schema: {
      example: { ...RUN_EXAMPLE, progress: { source: 'workflow', phase: 'provisioning', machines: [] } },
    },
  })
  get(@Param('id') id: string): Promise<RunView> {
    return this.runs.get(id);
  }

  /**
   * The run's Temporal history, decoded and paginated. With `Accept: text/event-stream` the
   * response is a server-sent-events stream that follows the history live (resumable with
   * `Last-Event-ID`) and ends with an `end` event when the workflow closes.
   */
  @Get('runs/:id/events')
  @ApiOperation({
    summary: "The run's Temporal history, decoded (paged JSON, or live with Accept: text/event-stream)",
  })
  @ApiProduces('application/json', 'text/event-stream')
  @ApiOkResponse({
    schema: {
      example: {
        events: [
          {
            id: 1,
            time: '2026-11-23T18:00:00.000Z',
            type: 'WorkflowExecutionStarted',
            summary: 'workflow deployCluster started',
            attributes: {},
          },
        ],
        nextPageToken: 'CAE…',
      },
    },
  })
  async events(
    @Param('id') id: string,
    @Query() query: EventsQueryDto,
    @Headers('accept') accept: string | undefined,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) response: Response,
  ): Promise<EventsPage | undefined> {
    if (!accept?.includes('text/event-stream'))
      return this.runs.events(id, query.pageToken, query.pageSize ?? 100);
    await this.runs.get(id); // 404 before the stream starts
    response.status(200);
    response.setHeader('content-type', 'text/event-stream; charset=utf-8');
    response.setHeader('cache-control', 'no-cache');
    response.setHeader('x-accel-buffering', 'no');
    response.flushHeaders();
    const abort = new AbortController();
    request.on('close', () => abort.abort());
    // Comments keep idle connections open through proxies while a long step runs.
    const keepAlive = setInterval(() => response.write(': keep-alive\n\n'), 15_000);
    try {
      await this.runs.follow(
        id,
        Number.parseInt(lastEventId ?? '0', 10) || 0,
        (event) => response.write(`id: ${event.id}\nevent: history\ndata: ${JSON.stringify(event)}\n\n`),
        abort.signal,
      );
      if (!abort.signal.aborted) response.write('event: end\ndata: {}\n\n');
    } catch (error) {
      if (!abort.signal.aborted)
        response.write(
          `event: error\ndata: ${JSON.stringify({ code: 'STREAM_FAILED', message: error instanceof Error ? error.message : String(error) })}\n\n`,
        );
    } finally {
      clearInterval(keepAlive);
      response.end();
    }
    return undefined;
  }

  @Post('runs/:id/pause')
  @ApiOperation({ summary: 'Pause a run' })
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiAcceptedResponse({ description: 'Pause requested: no new step starts; running steps finish' })
  async pause(
    @Param('id') id: string,
    @Body() body: PauseRunDto,
    @Req() request: AuthenticatedRequest,
  ): Promise<{ runId: string; requested: string }> {
    await this.runs.pause(id, request.principal.name, body.reason);
    return { runId: id, requested: 'pause' };
  }

  @Post('runs/:id/resume')
  @ApiOperation({ summary: 'Resume a paused run' })
  @HttpCode(HttpStatus.ACCEPTED)
  async resume(
    @Param('id') id: string,
    @Req() request: AuthenticatedRequest,
  ): Promise<{ runId: string; requested: string }> {
    await this.runs.resume(id, request.principal.name);
    return { runId: id, requested: 'resume' };
  }

  /** Approves a gate the spec declared in `rollout.approve` (it may be approved before the run reaches it). */
  @Post('runs/:id/approve')
  @ApiOperation({ summary: 'Approve a gate of a run' })
  @HttpCode(HttpStatus.ACCEPTED)
  async approve(
    @Param('id') id: string,
    @Body() body: ApproveRunDto,
    @Req() request: AuthenticatedRequest,
  ): Promise<{ runId: string; requested: string; gate: string }> {
    await this.runs.approve(id, body.gate, request.principal.name);
    return { runId: id, requested: 'approve', gate: body.gate };
  }

  /** Cancels the run: running steps are cancelled and the run ends `canceled`. */
  @Post('runs/:id/cancel')
  @ApiOperation({ summary: 'Cancel a run' })
  @HttpCode(HttpStatus.ACCEPTED)
  async cancel(@Param('id') id: string): Promise<{ runId: string; requested: string }> {
    await this.runs.cancel(id);
    return { runId: id, requested: 'cancel' };
  }

  /** Runs a failed machine's roles again (by machine id or name). */
  @Post('runs/:id/machines/:machine/retry')
  @ApiOperation({ summary: 'Retry a failed machine' })
  @HttpCode(HttpStatus.ACCEPTED)
  async retry(
    @Param('id') id: string,
    @Param('machine') machine: string,
    @Req() request: AuthenticatedRequest,
  ): Promise<{ runId: string; requested: string; machine: string }> {
    await this.runs.retryMachine(id, machine, request.principal.name);
    return { runId: id, requested: 'retry', machine };
  }
}
