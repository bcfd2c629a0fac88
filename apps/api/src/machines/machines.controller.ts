import { Body, Controller, Get, HttpStatus, Inject, Param, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import {
  MachineConflictError,
  type MachineRepository,
  type SecretStore,
  type StoredMachine,
} from '@plinth/db';
import { inventoryJsonSchema, validateInventory } from '@plinth/domain';
import { ApiError } from '../common/api-error';
import { invalid, readDocument, YAML_CONTENT_TYPES } from '../common/spec-body';
import { MACHINES, SECRET_STORE } from '../infrastructure/tokens';
import { ImportResultDto, MachineResponseDto } from './machine-response.dto';

@ApiTags('machines')
@ApiBearerAuth()
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
  @ApiBody({
    description: `Inventory document (${['application/json', ...YAML_CONTENT_TYPES].join(', ')})`,
    schema: inventoryJsonSchema as object,
  })
  @ApiCreatedResponse({ type: ImportResultDto })
  @ApiBadRequestResponse({ description: 'INVALID_INVENTORY with details.problems[{ path, message }]' })
  async import(@Body() body: unknown): Promise<ImportResultDto> {
    const inventory = readDocument(body, 'INVALID_INVENTORY', 'inventory', validateInventory);
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
      return await this.machines.importMachines(inventory.machines);
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
  @ApiOkResponse({ type: MachineResponseDto })
  async show(@Param('name') name: string): Promise<MachineResponseDto> {
    const machine = await this.machines.findByName(name);
    if (!machine)
      throw new ApiError(HttpStatus.NOT_FOUND, 'MACHINE_NOT_FOUND', `No machine is named "${name}".`);
    return toResponse(machine);
  }
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
