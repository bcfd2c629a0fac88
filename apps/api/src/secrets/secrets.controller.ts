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
} from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { SecretStore } from '@plinth/db';
import { ApiAuthErrors } from '../common/api-docs';
import { ApiError } from '../common/api-error';
import { SECRET_STORE } from '../infrastructure/tokens';
import { PutSecretDto, RotateSecretDto, SecretResponseDto } from './dto/put-secret.dto';

/** Secrets are written here and referenced elsewhere as `secret/<name>`; no endpoint returns a value. */
@ApiTags('secrets')
@ApiAuthErrors()
@Controller('secrets')
export class SecretsController {
  constructor(@Inject(SECRET_STORE) private readonly secrets: SecretStore) {}

  @Post()
  @ApiOperation({ summary: 'Create or replace a secret (the value is never returned)' })
  @ApiCreatedResponse({
    type: SecretResponseDto,
    description: 'Created or replaced; the value is not echoed',
  })
  async put(@Body() body: PutSecretDto): Promise<SecretResponseDto> {
    const ref = await this.secrets.put(body.name, body.value);
    const stored = (await this.secrets.list()).find((s) => s.ref === ref);
    return { name: body.name, ref, updatedAt: (stored?.updatedAt ?? new Date()).toISOString() };
  }

  @Get()
  @ApiOperation({ summary: 'List secrets (names and references only)' })
  @ApiOkResponse({ type: [SecretResponseDto] })
  async list(): Promise<SecretResponseDto[]> {
    return (await this.secrets.list()).map((s) => ({
      name: s.name,
      ref: s.ref,
      updatedAt: s.updatedAt.toISOString(),
    }));
  }

  /** Rotates an existing secret: references keep working and pick up the new value. */
  @Put(':name')
  @ApiOperation({ summary: 'Rotate a secret' })
  @ApiOkResponse({ type: SecretResponseDto, description: 'Rotated; the value is not echoed' })
  async rotate(@Param('name') name: string, @Body() body: RotateSecretDto): Promise<SecretResponseDto> {
    if (!(await this.secrets.exists(`secret/${name}`)))
      throw new ApiError(
        HttpStatus.NOT_FOUND,
        'SECRET_NOT_FOUND',
        `Secret secret/${name} does not exist; create it with POST /secrets.`,
      );
    return this.put({ name, value: body.value });
  }

  @Delete(':name')
  @ApiOperation({ summary: 'Delete a secret' })
  @HttpCode(HttpStatus.NO_CONTENT)
  async remove(@Param('name') name: string): Promise<void> {
    if (!(await this.secrets.delete(name))) {
      throw new ApiError(HttpStatus.NOT_FOUND, 'SECRET_NOT_FOUND', `Secret secret/${name} does not exist.`);
    }
  }
}
