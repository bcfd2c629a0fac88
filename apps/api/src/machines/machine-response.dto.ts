import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class BmcResponseDto {
  @ApiProperty({ example: 'redfish+https://10.10.0.11' }) address!: string;
  @ApiProperty({ example: 'secret/bmc-rack1', description: 'A reference; the secret is never returned' })
  credentialsRef!: string;
  @ApiProperty() insecureTls!: boolean;
  @ApiPropertyOptional({ example: 'secret/bmc-ca' }) caBundleRef?: string;
}

export class MachineResponseDto {
  @ApiProperty() id!: string;
  @ApiProperty({ example: 'r1-cp-01' }) name!: string;
  @ApiPropertyOptional() serial?: string;
  @ApiProperty({ type: BmcResponseDto }) bmc!: BmcResponseDto;
  @ApiProperty({ example: '52:54:00:00:01:01' }) bootMac!: string;
  @ApiPropertyOptional({ example: 'r1' }) rack?: string;
  @ApiPropertyOptional({ example: 4 }) position?: number;
  @ApiProperty({ example: { pool: 'control' }, type: 'object', additionalProperties: { type: 'string' } })
  labels!: Record<string, string>;
  @ApiPropertyOptional({ example: { cpuCores: 32, memoryMiB: 262144, disks: 2 } }) expect?: Record<
    string,
    number
  >;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}

export class ImportResultDto {
  @ApiProperty({ example: ['r1-cp-01'] }) created!: string[];
  @ApiProperty({ example: [] }) updated!: string[];
}
