import { createServer, type Server as NetServer, type Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { Server as SshServer, utils, type Connection, type ParsedKey } from 'ssh2';
import type { HostKey } from './host-keys';

/** One `exec` request, handed to whatever emulates the host's shell. */
export interface ExecRequest {
  command: string;
  /** Variables the client sent with `env` requests. */
  env: Record<string, string>;
  stdin: Readable;
  stdout(text: string): void;
  stderr(text: string): void;
  /** Aborted when the channel or connection goes away (client left, host powered off). */
  signal: AbortSignal;
}

export interface HostSshServerOptions {
  host: string;
  port: number;
  hostKey: HostKey;
  /** The only user that may log in. */
  user: string;
  /** OpenSSH public key lines accepted for that user. */
  authorizedKeys: string[];
  /** `SSH-2.0-<ident>` the server announces (the distribution's OpenSSH). */
  ident: string;
  /** Checked for every new TCP connection: true closes it at once (the `sshRefuse` fault). */
  refuse(): boolean;
  exec(request: ExecRequest): Promise<number>;
}

/**
 * A lab host's sshd: public-key authentication only, for one user and the keys its install
 * config authorised; `exec` requests run the emulated shell. Connections are accepted by a plain
 * TCP server and handed to ssh2, so a refusing host can drop them before the SSH handshake and
 * {@link HostSshServer.close} can cut every session at once, as a power loss does.
 */
export class HostSshServer {
  private readonly net: NetServer;
  private readonly ssh: SshServer;
  private readonly sockets = new Set<Socket>();
  private readonly allowed: ParsedKey[];

  constructor(private readonly options: HostSshServerOptions) {
    this.allowed = options.authorizedKeys.flatMap((line) => {
      const parsed = utils.parseKey(line);
      return parsed instanceof Error ? [] : Array.isArray(parsed) ? parsed : [parsed];
    });
    this.ssh = new SshServer({ hostKeys: [options.hostKey.privateKey], ident: options.ident }, (client) =>
      this.onClient(client),
    );
    this.net = createServer((socket) => {
      if (this.options.refuse()) {
        socket.destroy();
        return;
      }
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      this.ssh.injectSocket(socket);
    });
  }

  /** Start listening; resolves with the bound port. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.net.once('error', onError);
      this.net.listen(this.options.port, this.options.host, () => {
        this.net.off('error', onError);
        const address = this.net.address();
        resolve(typeof address === 'object' && address ? address.port : this.options.port);
      });
    });
  }

  /** Stop listening and drop every connection abruptly. */
  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    return new Promise((resolve) => this.net.close(() => resolve()));
  }

  private isAuthorised(algo: string, data: Buffer): ParsedKey | undefined {
    return this.allowed.find((key) => key.type === algo && key.getPublicSSH().equals(data));
  }

  private onClient(client: Connection): void {
    // Clients vanish mid-handshake (power loss, refused probes); nothing to report.
    client.on('error', () => undefined);
    client.on('authentication', (context) => {
      if (context.method !== 'publickey' || context.username !== this.options.user) {
        context.reject(['publickey']);
        return;
      }
      const key = this.isAuthorised(context.key.algo, context.key.data);
      if (!key) {
        context.reject(['publickey']);
        return;
      }
      // Without a signature the client only asks whether the key would be accepted.
      if (!context.signature || !context.blob) {
        context.accept();
        return;
      }
      if (key.verify(context.blob, context.signature, context.hashAlgo)) context.accept();
      else context.reject(['publickey']);
    });
    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        const env: Record<string, string> = {};
        session.on('env', (accept, _reject, info) => {
          env[info.key] = info.val;
          accept?.();
        });
        session.on('pty', (accept) => accept?.());
        session.on('shell', (_accept, reject) => reject?.());
        session.on('subsystem', (_accept, reject) => reject?.());
        session.on('exec', (accept, _reject, info) => {
          const channel = accept();
          const abort = new AbortController();
          const stop = (): void => abort.abort();
          channel.once('close', stop);
          client.once('close', stop);
          const write = (
            stream: { write(text: string): unknown; writable?: boolean },
            text: string,
          ): void => {
            if (!abort.signal.aborted && text) stream.write(text);
          };
          void this.options
            .exec({
              command: info.command,
              env: { ...env },
              stdin: channel,
              stdout: (text) => write(channel, text),
              stderr: (text) => write(channel.stderr, text),
              signal: abort.signal,
            })
            .catch((error: unknown) => {
              write(channel.stderr, `lab: ${error instanceof Error ? error.message : String(error)}\n`);
              return 1;
            })
            .then((code) => {
              client.off('close', stop);
              if (abort.signal.aborted) return;
              channel.exit(code);
              channel.end();
            });
        });
      });
    });
  }
}
