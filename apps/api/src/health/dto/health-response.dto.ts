import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class DependencyCheckDto {
  @ApiProperty({ description: 'Whether the dependency answered in time' })
  ok!: boolean;

  @ApiProperty({ description: 'Round-trip time of the check in milliseconds' })
  latencyMs!: number;

  @ApiPropertyOptional({ description: 'Why the check failed, in operator words' })
  error?: string;
}

export class DatabaseCheckDto extends DependencyCheckDto {
  @ApiPropertyOptional({ description: 'Identifier of this Plinth installation (plinth_instance row)' })
  instanceId?: string;

  @ApiProperty({ description: 'Migrations in the code that the database has not applied', type: [String] })
  pendingMigrations!: string[];
}

export class TemporalCheckDto extends DependencyCheckDto {
  @ApiProperty({ example: '127.0.0.1:7233' })
  address!: string;

  @ApiProperty({ example: 'default' })
  namespace!: string;

  @ApiPropertyOptional({ description: 'Version reported by the Temporal server' })
  serverVersion?: string;
}

export class HealthChecksDto {
  @ApiProperty({ type: DatabaseCheckDto })
  database!: DatabaseCheckDto;

  @ApiProperty({ type: TemporalCheckDto })
  temporal!: TemporalCheckDto;
}

export class HealthResponseDto {
  @ApiProperty({
    enum: ['ok', 'degraded'],
    description: '`ok` when every dependency answered; otherwise the status is 503',
  })
  status!: 'ok' | 'degraded';

  @ApiProperty({ example: '0.1.0' })
  version!: string;

  @ApiProperty({ description: 'Seconds since this API process started' })
  uptimeSeconds!: number;

  @ApiProperty({ type: HealthChecksDto })
  checks!: HealthChecksDto;
}
