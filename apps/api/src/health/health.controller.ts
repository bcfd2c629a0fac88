import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../auth/auth.decorators';
import { HealthResponseDto } from './dto/health-response.dto';
import { HealthService } from './health.service';

@ApiTags('health')
@Public()
@Controller()
export class HealthController {
  constructor(private readonly health: HealthService) {}

  /** Liveness and readiness in one: 200 when PostgreSQL and Temporal both answer, 503 otherwise. */
  @Get('healthz')
  @ApiOperation({ summary: 'Liveness and readiness: database and Temporal, with timings' })
  @ApiOkResponse({ type: HealthResponseDto, description: 'PostgreSQL and Temporal are reachable' })
  @ApiServiceUnavailableResponse({
    type: HealthResponseDto,
    description: 'A dependency is down; `checks` says which',
  })
  async healthz(@Res({ passthrough: true }) response: Response): Promise<HealthResponseDto> {
    const result = await this.health.check();
    response.status(result.status === 'ok' ? 200 : 503);
    return result;
  }
}
