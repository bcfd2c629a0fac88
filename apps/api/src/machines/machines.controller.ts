import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Inject,
  Param,
  Post,
  Put,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import {
  MachineConflictError,
  type MachineRepository,
  type SecretStore,
  type StoredMachine,
} from '@plinth/db';
import {
  inventoryJsonSchema,
  readInventoryCsv,
  validateInventory,
  type InventoryDocument,
  type Machine,
  type Problem,
  type Validation,
} from '@plinth/domain';
import { ApiAuthErrors } from '../common/api-docs';
import { ApiError } from '../common/api-error';
import { CSV_CONTENT_TYPES, invalid, readDocument, YAML_CONTENT_TYPES } from '../common/spec-body';
import { MACHINES, SECRET_STORE } from '../infrastructure/tokens';
import { ImportResultDto, MachineResponseDto } from './machine-response.dto';

@ApiTags('machines')
@ApiAuthErrors()
@Controller('machines')
export class MachinesController {
  constructor(
    @Inject(MACHINES) private readonly machines: MachineRepository,
    @Inject(SECRET_STORE) private readonly secrets: SecretStore,
  ) {}

  /**
   * Imports an inventory (JSON, or YAML with a YAML content type): every machine is created or
   * updated by name, all or nothing. Every problem comes back at once, with its path.
   */
  @Post('import')
  @ApiOperation({ summary: 'Import an inventory (JSON, YAML or CSV), all or nothing' })
  @ApiBody({
    description: `Inventory document (${['application/json', ...YAML_CONTENT_TYPES].join(', ')}), or CSV (text/csv) with a header row of: name, bmc_address, bmc_credentials, boot_mac (required), serial, bmc_insecure_tls, bmc_ca_bundle, rack, position, labels ("k=v;k=v"), expect_cpu_cores, expect_memory_mib, expect_disks`,
    schema: inventoryJsonSchema as object,
  })
  @ApiCreatedResponse({ type: ImportResultDto })
  @ApiBadRequestResponse({
    description: 'INVALID_INVENTORY with details.problems[{ path, message }] (CSV: per row, with its line)',
  })
  async import(@Body() body: unknown, @Req() request: Request): Promise<ImportResultDto> {
    const inventory = isCsv(request)
      ? readCsvInventory(body)
      : readDocument(body, 'INVALID_INVENTORY', 'inventory', validateInventory);
    return this.store(inventory.machines);
  }

  /** Registers one machine (JSON or YAML); 409 when the name is taken (use PUT to replace). */
  @Post()
  @ApiOperation({ summary: 'Register one machine' })
  @ApiBody({ description: 'One machine, as an element of the inventory document', schema: machineSchema() })
  @ApiCreatedResponse({ type: MachineResponseDto })
  async create(@Body() body: unknown): Promise<MachineResponseDto> {
    const machine = readMachine(body);
    if (await this.machines.findByName(machine.name))
      throw new ApiError(
        HttpStatus.CONFLICT,
        'MACHINE_EXISTS',
        `A machine named "${machine.name}" exists; PUT /machines/${machine.name} replaces it.`,
      );
    await this.store([machine]);
    return toResponse((await this.machines.findByName(machine.name))!);
  }

  /** Creates or replaces the machine `name` (the body's name, if given, must match). */
  @Put(':name')
  @ApiOperation({ summary: 'Create or replace a machine' })
  @ApiBody({ description: 'One machine', schema: machineSchema() })
  @ApiOkResponse({ type: MachineResponseDto, description: 'Replaced (201 when created)' })
  async replace(
    @Param('name') name: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) response: Response,
  ): Promise<MachineResponseDto> {
    const input =
      typeof body === 'object' && body !== null && !Array.isArray(body) ? { name, ...body } : body;
    const machine = readMachine(input);
    if (machine.name !== name)
      throw invalid('INVALID_MACHINE', 'The machine name in the body differs from the URL.', [
        { path: 'name', message: `must be "${name}" (the name in the URL), got "${machine.name}"` },
      ]);
    const { created } = await this.store([machine]);
    response.status(created.length > 0 ? HttpStatus.CREATED : HttpStatus.OK);
    return toResponse((await this.machines.findByName(name))!);
  }

  /** Removes a machine (with its discovered inventories); refused while an active run includes it. */
  @Delete(':name')
  @ApiOperation({ summary: 'Delete a machine' })
  @HttpCode(HttpStatus.NO_CONTENT)
  async remove(@Param('name') name: string): Promise<void> {
    const outcome = await this.machines.delete(name);
    if (outcome.result === 'not-found')
      throw new ApiError(HttpStatus.NOT_FOUND, 'MACHINE_NOT_FOUND', `No machine is named "${name}".`);
    if (outcome.result === 'in-active-run')
      throw new ApiError(
        HttpStatus.CONFLICT,
        'MACHINE_IN_USE',
        `Machine "${name}" is part of run ${outcome.runId}, which has not ended; cancel it or wait.`,
        { runId: outcome.runId },
      );
  }

  /** Checks secret references, then writes all machines or none. */
  private async store(machines: Machine[]): Promise<ImportResultDto> {
    const inventory = { machines };
    const missing: { path: string; message: string }[] = [];
    for (const [i, machine] of inventory.machines.entries()) {
      for (const [field, ref] of [
        ['credentialsRef', machine.bmc.credentialsRef],
        ['caBundleRef', machine.bmc.caBundleRef],
      ] as const) {
        if (ref && !(await this.secrets.exists(ref))) {
          missing.push({
            path: `machines[${i}].bmc.${field}`,
            message: `${ref} does not exist; create it with POST /secrets first`,
          });
        }
      }
    }
    if (missing.length > 0)
      throw invalid(
        'INVALID_INVENTORY',
        `The inventory references ${missing.length} missing secret(s).`,
        missing,
      );
    try {
      return await this.machines.importMachines(machines);
    } catch (error) {
      if (error instanceof MachineConflictError) {
        throw new ApiError(HttpStatus.CONFLICT, 'BOOT_MAC_IN_USE', error.message, {
          conflicts: error.conflicts,
        });
      }
      throw error;
    }
  }

  @Get()
  @ApiOperation({ summary: 'List machines, optionally by labels' })
  @ApiQuery({
    name: 'label',
    required: false,
    description: 'key=value; repeat for several',
    example: 'pool=control',
  })
  @ApiOkResponse({ type: [MachineResponseDto] })
  async list(@Query('label') label?: string | string[]): Promise<MachineResponseDto[]> {
    const labels: Record<string, string> = {};
    for (const pair of [label ?? []].flat()) {
      const match = /^([^=]+)=(.*)$/.exec(pair);
      if (!match)
        throw invalid('INVALID_QUERY', 'label must be key=value.', [
          { path: 'label', message: `got "${pair}", expected key=value` },
        ]);
      labels[match[1]!] = match[2]!;
    }
    return (await this.machines.list({ labels })).map(toResponse);
  }

  @Get(':name')
  @ApiOperation({ summary: 'Show a machine' })
  @ApiOkResponse({ type: MachineResponseDto })
  async show(@Param('name') name: string): Promise<MachineResponseDto> {
    const machine = await this.machines.findByName(name);
    if (!machine)
      throw new ApiError(HttpStatus.NOT_FOUND, 'MACHINE_NOT_FOUND', `No machine is named "${name}".`);
    return toResponse(machine);
  }
}

function isCsv(request: Request): boolean {
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  return CSV_CONTENT_TYPES.includes(type);
}

function readCsvInventory(body: unknown): InventoryDocument {
  const read = readInventoryCsv(typeof body === 'string' ? body : '');
  if (!read.ok)
    throw invalid(
      'INVALID_INVENTORY',
      `The CSV inventory has ${read.problems.length} problem(s).`,
      read.problems,
    );
  const validated = validateInventory(read.value.document);
  if (!validated.ok) {
    const problems = validated.problems.map(read.value.describe);
    throw invalid(
      'INVALID_INVENTORY',
      `The CSV inventory has ${problems.length} problem(s); nothing was imported.`,
      problems,
    );
  }
  return validated.value;
}

/** Validates one machine with the inventory rules, reporting paths relative to the machine. */
function readMachine(body: unknown): Machine {
  return readDocument(body, 'INVALID_MACHINE', 'machine', (input): Validation<Machine> => {
    const result = validateInventory({ machines: [input] });
    if (result.ok) return { ok: true, value: result.value.machines[0]! };
    const strip = (problem: Problem): Problem => ({
      ...problem,
      path: problem.path.replace(/^machines\[0\]\.?/, ''),
    });
    return { ok: false, problems: result.problems.map(strip) };
  });
}

function machineSchema(): object {
  const items = (inventoryJsonSchema as { properties?: { machines?: { items?: object } } }).properties
    ?.machines?.items;
  return items ?? {};
}

function toResponse(m: StoredMachine): MachineResponseDto {
  return {
    id: m.id,
    name: m.name,
    serial: m.serial,
    bmc: {
      address: m.bmc.address,
      credentialsRef: m.bmc.credentialsRef,
      insecureTls: m.bmc.insecureTls ?? false,
      caBundleRef: m.bmc.caBundleRef,
    },
    bootMac: m.bootMac,
    rack: m.rack,
    position: m.position,
    labels: m.labels,
    expect: m.expect as Record<string, number> | undefined,
    createdAt: m.createdAt.toISOString(),
    updatedAt: m.updatedAt.toISOString(),
  };
}
