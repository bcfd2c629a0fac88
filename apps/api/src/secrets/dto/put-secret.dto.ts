import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches, MaxLength, MinLength } from 'class-validator';

export class PutSecretDto {
  @ApiProperty({ example: 'bmc-rack1', description: 'Referenced as secret/<name>' })
  @Matches(/^[a-z0-9][a-z0-9._-]{0,127}$/, {
    message: 'name must be 1-128 characters of a-z, 0-9, ".", "_" and "-", starting with a letter or digit',
  })
  name!: string;

  @ApiProperty({
    example: 'correct horse battery staple',
    writeOnly: true,
    description: 'Never returned by any endpoint',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(65_536)
  value!: string;
}

export class SecretResponseDto {
  @ApiProperty({ example: 'bmc-rack1' }) name!: string;
  @ApiProperty({ example: 'secret/bmc-rack1' }) ref!: string;
  @ApiProperty() updatedAt!: string;
}

export class RotateSecretDto {
  @ApiProperty({
    example: 'new correct horse battery staple',
    writeOnly: true,
    description: 'The new value; never returned',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(65_536)
  value!: string;
}
