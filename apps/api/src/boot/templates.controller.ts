import { Controller, Get, HttpStatus, Inject, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { RoleError } from '@plinth/contracts';
import type { InstallConfigService, InstallPreview } from '@plinth/templates';
import { ApiAuthErrors } from '../common/api-docs';
import { ApiError } from '../common/api-error';
import { invalid } from '../common/spec-body';
import { INSTALL_CONFIGS } from './boot-options';

/** Previews of rendered install configs, with secrets and boot tokens masked. */
@ApiTags('templates')
@ApiAuthErrors()
@Controller('templates')
export class TemplatesController {
  constructor(@Inject(INSTALL_CONFIGS) private readonly installConfigs: InstallConfigService) {}

  @Get('render')
  @ApiOperation({
    summary: "Render a machine's install config (secrets and tokens masked), without storing anything",
  })
  @ApiQuery({ name: 'machine', example: 'r1-cp-01' })
  @ApiQuery({
    name: 'cluster',
    required: false,
    description: 'default: the one cluster that selects the machine',
  })
  @ApiOkResponse({ description: 'The files the machine would fetch, masked' })
  async render(
    @Query('machine') machine?: string,
    @Query('cluster') cluster?: string,
  ): Promise<InstallPreview> {
    if (typeof machine !== 'string' || machine === '')
      throw invalid('INVALID_QUERY', 'Name the machine to render.', [
        { path: 'machine', message: 'is required' },
      ]);
    try {
      return await this.installConfigs.preview({
        machine,
        ...(typeof cluster === 'string' && cluster ? { cluster } : {}),
      });
    } catch (error) {
      if (error instanceof RoleError) {
        const notFound = /^No (machine|cluster) is named/.test(error.message);
        throw new ApiError(
          notFound ? HttpStatus.NOT_FOUND : HttpStatus.UNPROCESSABLE_ENTITY,
          notFound ? 'NOT_FOUND' : error.code === 'SecretMissing' ? 'SECRET_MISSING' : 'TEMPLATE_ERROR',
          error.message,
          error.details,
        );
      }
      throw error;
    }
  }
}
