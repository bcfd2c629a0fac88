import {
  Body,
  Controller,
  Get,
  Headers,
  HttpStatus,
  Inject,
  Param,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import {
  ApiBody,
  ApiBadRequestResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiServiceUnavailableResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { BOOT_TOKEN_REJECTED, MASK, type BootResponse, type BootService } from '@plinth/templates';
import { Public } from '../auth/auth.decorators';
import { BOOT_OPTIONS, BOOT_SERVICE, type BootModuleOptions } from './boot-options';

const rejectedSchema = {
  type: 'object',
  properties: { code: { type: 'string' }, message: { type: 'string' } },
  example: BOOT_TOKEN_REJECTED,
};

/**
 * What netbooting machines and their installers call. No API token: the MAC selects the boot
 * script, and each install config and the callback need the one-time token of their rendering.
 * Every refused token gets the same 403 body, whatever the reason.
 */
@ApiTags('boot')
@Public()
@Controller('boot')
export class BootController {
  constructor(
    @Inject(BOOT_SERVICE) private readonly boot: BootService,
    @Inject(BOOT_OPTIONS) private readonly options: BootModuleOptions,
  ) {}

  /** The boot file DHCP hands out: `chain http://<api>/boot/ipxe?mac=${net0/mac}`. */
  @Get('ipxe')
  @ApiOperation({
    summary: "A machine's iPXE script, by boot MAC",
    description:
      'The pending install of that MAC; otherwise (unknown MAC, nothing to install, no MAC) a script that says why and exits to the next boot device. Never an error status.',
  })
  @ApiQuery({
    name: 'mac',
    example: '52:54:00:12:34:56',
    description: 'as iPXE sends ${net0/mac} (URL-encoded)',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'An iPXE script' })
  async ipxe(@Query('mac') mac: unknown, @Res() response: Response): Promise<void> {
    response
      .status(HttpStatus.OK)
      .type('text/plain; charset=utf-8')
      .send(await this.boot.ipxeScript(mac));
  }

  /** Install config files: `user-data`/`meta-data` (NoCloud seed `…/<token>/`), `preseed.cfg`, `ks.cfg`. */
  @Get('configs/:token/:file')
  @ApiOperation({
    summary: 'A file of a rendered install config',
    description: 'Repeatable (installers refetch) until the token expires or the installer has called back.',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'The file' })
  @ApiForbiddenResponse({
    description: 'Unknown, expired or spent token (always this body)',
    schema: rejectedSchema,
  })
  async config(
    @Param('token') token: string,
    @Param('file') file: string,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    hideToken(request, token);
    send(response, await this.boot.configFile(token, file));
  }

  /** The installer's "I am done" call, made by the last late command / %post of the config. */
  @Post('callback')
  @ApiOperation({
    summary: "The installer's callback: where SSH answers and the new host key",
    description: 'Authorization: Bearer <callback token>. Accepted once; 503 means retry.',
  })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['mac', 'hostname', 'sshHost', 'sshPort', 'hostKeySha256'],
      properties: {
        mac: { type: 'string', example: '52:54:00:12:34:56' },
        hostname: { type: 'string', example: 'r1-cp-01' },
        sshHost: { type: 'string', example: '10.20.0.51' },
        sshPort: { type: 'integer', example: 22 },
        hostKeySha256: { type: 'string', example: 'SHA256:Yk9Hc1l2cUxHTmV5TDJqTmtLWUtSb0dBRkx1a0prSmc' },
      },
    },
  })
  @ApiNoContentResponse({ description: 'Recorded' })
  @ApiBadRequestResponse({
    description: 'INVALID_INSTALLER_REPORT: a malformed report, or one from another MAC (not recorded)',
  })
  @ApiServiceUnavailableResponse({
    description: 'CALLBACK_NOT_DELIVERED: not recorded, the token stays valid; retry',
  })
  @ApiForbiddenResponse({
    description: 'Missing, unknown, expired or spent token (always this body)',
    schema: rejectedSchema,
  })
  async callback(
    @Headers('authorization') authorization: string | undefined,
    @Body() body: unknown,
    @Res() response: Response,
  ): Promise<void> {
    send(response, await this.boot.callback(authorization, body));
  }

  /** Installer media (kernels, initrds, ISOs) from the configured folder, for labs and small sites. */
  @Get('media/*path')
  @ApiOperation({ summary: 'Installer media from the provisioner’s media folder' })
  @ApiOkResponse({ description: 'The file (kernel, initrd, ISO…)' })
  @ApiNotFoundResponse({ description: 'No such file, or no media folder configured' })
  async media(@Req() request: Request, @Res() response: Response): Promise<void> {
    const notFound = () =>
      response
        .status(HttpStatus.NOT_FOUND)
        .json({ code: 'MEDIA_NOT_FOUND', message: 'No such installer media file.' });
    const relative = decodeURIComponent(request.path.replace(/^\/boot\/media\//, ''));
    if (!this.options.mediaDir || !relative) return void notFound();
    response.sendFile(relative, { root: this.options.mediaDir, dotfiles: 'deny' }, (error) => {
      if (error && !response.headersSent) notFound();
    });
  }
}

/** The request log records `req.path`: the token in it must not reach the logs. */
function hideToken(request: Request, token: string): void {
  if (token) request.url = request.url.split(token).join(MASK);
}

function send(response: Response, answer: BootResponse): void {
  switch (answer.status) {
    case 200:
      response.status(200).type(answer.contentType).send(answer.body);
      return;
    case 204:
      response.status(204).end();
      return;
    default:
      response.status(answer.status).json(answer.body);
  }
}
