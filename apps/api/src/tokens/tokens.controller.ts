import { ApiAuthErrors } from '../common/api-docs';
import { Body, Controller, Post } from '@nestjs/common';
import { Inject } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { ArrayNotEmpty, IsArray, IsIn, IsString, Length } from 'class-validator';
import { API_SCOPES, type ApiScope, type ApiTokenRepository } from '@plinth/db';
import { RequireScope } from '../auth/auth.decorators';
import { API_TOKENS } from '../infrastructure/tokens';

export class CreateTokenDto {
  @ApiProperty({ example: 'ci-pipeline' })
  @IsString()
  @Length(1, 100)
  name!: string;

  @ApiProperty({ example: ['read', 'write'], enum: API_SCOPES, isArray: true })
  @IsArray()
  @ArrayNotEmpty()
  @IsIn(API_SCOPES, { each: true, message: `each scope must be one of ${API_SCOPES.join(', ')}` })
  scopes!: ApiScope[];
}

export class CreatedTokenDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'Shown once; only its hash is stored' }) token!: string;
  @ApiProperty({ enum: API_SCOPES, isArray: true }) scopes!: ApiScope[];
}

@ApiTags('tokens')
@ApiAuthErrors()
@Controller('tokens')
export class TokensController {
  constructor(@Inject(API_TOKENS) private readonly tokens: ApiTokenRepository) {}

  /** Issues an API token (admin only). The plain token is in this response and nowhere else. */
  @Post()
  @ApiOperation({ summary: 'Issue an API token (admin)' })
  @RequireScope('admin')
  @ApiCreatedResponse({ type: CreatedTokenDto })
  async create(@Body() body: CreateTokenDto): Promise<CreatedTokenDto> {
    const created = await this.tokens.create(body.name, body.scopes);
    return { id: created.id, name: body.name, token: created.token, scopes: body.scopes };
  }
}
