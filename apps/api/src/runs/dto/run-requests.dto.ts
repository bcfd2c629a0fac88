import { ApiPropertyOptional, ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { APPROVAL_GATES as GATES } from '@plinth/domain';
import { RUN_KINDS, RUN_STATUSES, type RunKind, type RunStatus } from '@plinth/db';

export class ListRunsQueryDto {
  @ApiPropertyOptional({ example: 'lab-1', description: 'Cluster name' })
  @IsOptional()
  @IsString()
  @MaxLength(63)
  cluster?: string;

  @ApiPropertyOptional({ enum: RUN_KINDS })
  @IsOptional()
  @IsIn(RUN_KINDS, { message: `kind must be one of: ${RUN_KINDS.join(', ')}` })
  kind?: RunKind;

  @ApiPropertyOptional({
    example: 'running,paused',
    description: `Comma-separated statuses: ${RUN_STATUSES.join(', ')}`,
  })
  @IsOptional()
  @Matches(new RegExp(`^(${RUN_STATUSES.join('|')})(,(${RUN_STATUSES.join('|')}))*$`), {
    message: `status must be a comma-separated list of: ${RUN_STATUSES.join(', ')}`,
  })
  status?: string;

  @ApiPropertyOptional({ example: 50, minimum: 1, maximum: 500, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer' })
  @Min(1)
  @Max(500)
  limit?: number;

  @ApiPropertyOptional({ description: 'Only runs created before this ISO time (for the next page)' })
  @IsOptional()
  @Matches(/^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/, {
    message: 'before must be an ISO-8601 UTC time like 2026-11-23T18:00:00.000Z',
  })
  before?: string;

  statuses(): RunStatus[] | undefined {
    return this.status ? (this.status.split(',') as RunStatus[]) : undefined;
  }
}

export class EventsQueryDto {
  @ApiPropertyOptional({ description: 'nextPageToken of the previous page' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,4096}$/, { message: 'pageToken must be the nextPageToken of a previous page' })
  pageToken?: string;

  @ApiPropertyOptional({ example: 100, minimum: 1, maximum: 1000, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'pageSize must be an integer' })
  @Min(1)
  @Max(1000)
  pageSize?: number;
}

export class PauseRunDto {
  @ApiPropertyOptional({ example: 'rack r1 power work until 14:00' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}

export class ApproveRunDto {
  @ApiProperty({ enum: GATES, example: 'before-openstack' })
  @IsIn(GATES, { message: `gate must be one of: ${GATES.join(', ')}` })
  gate!: (typeof GATES)[number];
}
