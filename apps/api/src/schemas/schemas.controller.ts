import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { clusterSpecJsonSchema, inventoryJsonSchema } from '@plinth/domain';
import { Public } from '../auth/auth.decorators';

/** JSON Schemas for editors (e.g. `# yaml-language-server: $schema=http://127.0.0.1:3000/schemas/cluster.json`). */
@ApiTags('schemas')
@Public()
@Controller('schemas')
export class SchemasController {
  @Get('cluster.json')
  @ApiOperation({ summary: 'JSON Schema of cluster spec files (for editor completion)' })
  @Header('content-type', 'application/schema+json')
  @ApiOkResponse({ description: 'JSON Schema (draft 2020-12) of a cluster spec' })
  cluster(): object {
    return clusterSpecJsonSchema;
  }

  @Get('inventory.json')
  @ApiOperation({ summary: 'JSON Schema of inventory files' })
  @Header('content-type', 'application/schema+json')
  @ApiOkResponse({ description: 'JSON Schema (draft 2020-12) of a machine inventory' })
  inventory(): object {
    return inventoryJsonSchema;
  }
}
