import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Inject,
  Param,
  ParseIntPipe,
  Post,
  Put,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { ClusterRepository, MachineRepository, StoredCluster } from '@plinth/db';
import { clusterSpecJsonSchema, validateClusterSpec, validateProfile } from '@plinth/domain';
import type { AuthenticatedRequest } from '../auth/auth.guard';
import { RequireScope } from '../auth/auth.decorators';
import { ApiAuthErrors } from '../common/api-docs';
import { ApiError } from '../common/api-error';
import { invalid, readDocument, YAML_CONTENT_TYPES } from '../common/spec-body';
import { CLUSTERS, MACHINES } from '../infrastructure/tokens';
import { planCluster, type ClusterPlan } from './cluster-plan';
import { INSTALL_CONFIGS } from '../boot/boot-options';
import type { InstallConfigService, InstallPreview } from '@plinth/templates';

interface ClusterSummary {
  id: string;
  name: string;
  revision: number;
  specHash: string;
  updatedAt: string;
}

@ApiTags('clusters')
@ApiAuthErrors()
@Controller()
export class ClustersController {
  constructor(
    @Inject(CLUSTERS) private readonly clusters: ClusterRepository,
    @Inject(MACHINES) private readonly machines: MachineRepository,
    @Inject(INSTALL_CONFIGS) private readonly installConfigs: InstallConfigService,
  ) {}

  /**
   * Applies a cluster spec (JSON, or YAML with a YAML content type). A changed spec becomes a new
   * revision (201 on creation, 200 after); an unchanged one changes nothing. The spec must resolve
   * against the inventory: unknown machines, conflicting roles and a missing profile are 400s.
   */
  @Post('clusters')
  @ApiOperation({ summary: 'Apply a cluster spec (a changed spec becomes a new revision)' })
  @ApiBody({
    description: `Cluster spec (application/json, ${YAML_CONTENT_TYPES.join(', ')})`,
    schema: clusterSpecJsonSchema as object,
  })
  async apply(
    @Body() body: unknown,
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) response: Response,
  ): Promise<ClusterSummary & { created: boolean; changed: boolean }> {
    const spec = readDocument(body, 'INVALID_CLUSTER_SPEC', 'cluster spec', validateClusterSpec);
    const profile = spec.profile ? await this.clusters.profileParams(spec.profile) : undefined;
    const problems =
      spec.profile && !profile
        ? [
            {
              path: 'profile',
              message: `no profile is named "${spec.profile}"; create it with PUT /profiles/${spec.profile}`,
            },
          ]
        : [];
    const planned = planCluster(spec, await this.machines.list(), profile);
    if (!planned.ok) problems.push(...planned.problems);
    if (problems.length > 0)
      throw invalid(
        'INVALID_CLUSTER_SPEC',
        `The cluster spec has ${problems.length} problem(s) against the inventory.`,
        problems,
      );
    const { cluster, created, changed } = await this.clusters.apply(spec, request.principal.name);
    response.status(created ? HttpStatus.CREATED : HttpStatus.OK);
    return { ...summary(cluster), created, changed };
  }

  @Get('clusters')
  @ApiOperation({ summary: 'List clusters' })
  async list(): Promise<ClusterSummary[]> {
    return (await this.clusters.list()).map(summary);
  }

  @Get('clusters/:name')
  @ApiOperation({ summary: 'Show a cluster with its revisions' })
  async show(@Param('name') name: string): Promise<
    ClusterSummary & {
      spec: unknown;
      revisions: { revision: number; specHash: string; createdBy: string; createdAt: string }[];
    }
  > {
    const cluster = await this.find(name);
    const revisions = await this.clusters.revisions(cluster.id);
    return {
      ...summary(cluster),
      spec: cluster.current.spec,
      revisions: revisions.map((r) => ({
        revision: r.revision,
        specHash: r.specHash,
        createdBy: r.createdBy,
        createdAt: r.createdAt.toISOString(),
      })),
    };
  }

  @Get('clusters/:name/revisions/:revision')
  @ApiOperation({ summary: "Show one revision's spec" })
  async revision(
    @Param('name') name: string,
    @Param('revision', ParseIntPipe) revision: number,
  ): Promise<{ revision: number; spec: unknown }> {
    const cluster = await this.find(name);
    const found = await this.clusters.revision(cluster.id, revision);
    if (!found)
      throw new ApiError(
        HttpStatus.NOT_FOUND,
        'REVISION_NOT_FOUND',
        `Cluster "${name}" has no revision ${revision} (current: ${cluster.current.revision}).`,
      );
    return { revision: found.revision, spec: found.spec };
  }

  /** Deletes the cluster, its revisions and its runs' records; refused (409) while a run is active. */
  @Delete('clusters/:name')
  @ApiOperation({ summary: 'Delete a cluster (refused while a run is active)' })
  @HttpCode(HttpStatus.NO_CONTENT)
  async remove(@Param('name') name: string): Promise<void> {
    const outcome = await this.clusters.delete(name);
    if (outcome.result === 'not-found')
      throw new ApiError(HttpStatus.NOT_FOUND, 'CLUSTER_NOT_FOUND', `No cluster is named "${name}".`);
    if (outcome.result === 'run-active')
      throw new ApiError(
        HttpStatus.CONFLICT,
        'RUN_ACTIVE',
        `Cluster "${name}" has run ${outcome.runId} in progress; cancel it (POST /runs/${outcome.runId}/cancel) or wait for it to end.`,
        { runId: outcome.runId },
      );
  }

  /** What deploying the current revision would do, per machine, with merged params and their sources. */
  @Post('clusters/:name/plan')
  @ApiOperation({ summary: 'Plan a deployment (same as GET)' })
  @HttpCode(HttpStatus.OK)
  @RequireScope('read')
  @ApiOkResponse({
    description: 'Same as GET /clusters/:name/plan; POST for clients that treat planning as an action',
  })
  async planAction(
    @Param('name') name: string,
    @Query('render') render?: string,
  ): ReturnType<ClustersController['plan']> {
    return this.plan(name, render);
  }

  /** What deploying the current revision would do, per machine, with merged params and their sources. */
  @Get('clusters/:name/plan')
  @ApiQuery({
    name: 'render',
    required: false,
    description: "true: also render each machine's install config, secrets masked (slower on large clusters)",
  })
  @ApiOperation({
    summary: 'Plan a deployment: machines, roles, params and phases, without touching hardware',
  })
  @ApiOkResponse({
    description: 'The plan; `problems` instead when the inventory changed since the spec was applied',
  })
  async plan(
    @Param('name') name: string,
    @Query('render') render?: string,
  ): Promise<{
    cluster: string;
    revision: number;
    plan?: ClusterPlan;
    problems?: { path: string; message: string }[];
    installConfigs?: Record<string, InstallPreview | { error: string }>;
  }> {
    if (render !== undefined && render !== 'true' && render !== 'false')
      throw invalid('INVALID_QUERY', 'render must be true or false.', [
        { path: 'render', message: `got "${render}", expected true or false` },
      ]);
    const cluster = await this.find(name);
    const spec = cluster.current.spec;
    const profile = spec.profile ? await this.clusters.profileParams(spec.profile) : undefined;
    const inventory = await this.machines.list();
    const planned = planCluster(spec, inventory, profile);
    if (!planned.ok) return { cluster: name, revision: cluster.current.revision, problems: planned.problems };
    if (render !== 'true') return { cluster: name, revision: cluster.current.revision, plan: planned.plan };
    // The install configs each machine would get, secrets masked; a machine that cannot be rendered says why.
    const byName = new Map(inventory.map((machine) => [machine.name, machine]));
    const installConfigs: Record<string, InstallPreview | { error: string }> = {};
    for (const { name: machineName } of planned.plan.machines) {
      try {
        installConfigs[machineName] = await this.installConfigs.previewInSpec({
          machine: byName.get(machineName)!,
          spec,
          profileParams: profile,
        });
      } catch (error) {
        installConfigs[machineName] = { error: error instanceof Error ? error.message : String(error) };
      }
    }
    return { cluster: name, revision: cluster.current.revision, plan: planned.plan, installConfigs };
  }

  /** Creates or replaces a named params profile (the layer between global and cluster params). */
  @Put('profiles/:name')
  @ApiOperation({ summary: 'Create or replace a params profile' })
  async putProfile(@Param('name') name: string, @Body() body: unknown): Promise<{ name: string }> {
    const profile = readDocument(body, 'INVALID_PROFILE', 'profile', (input) =>
      validateProfile(
        typeof input === 'object' && input !== null && !Array.isArray(input) ? { ...input, name } : input,
      ),
    );
    await this.clusters.putProfile(profile.name, profile.params);
    return { name: profile.name };
  }

  private async find(name: string): Promise<StoredCluster> {
    const cluster = await this.clusters.findByName(name);
    if (!cluster)
      throw new ApiError(HttpStatus.NOT_FOUND, 'CLUSTER_NOT_FOUND', `No cluster is named "${name}".`);
    return cluster;
  }
}

function summary(cluster: StoredCluster): ClusterSummary {
  return {
    id: cluster.id,
    name: cluster.name,
    revision: cluster.current.revision,
    specHash: cluster.current.specHash,
    updatedAt: cluster.updatedAt.toISOString(),
  };
}
