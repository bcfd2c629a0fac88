import { SearchAttributeType as SdkType, TypedSearchAttributes } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { DEV_SERVER_USAGE, parseDevServerArgs, type DevServerCliOptions } from './args';

const DEFAULTS: DevServerCliOptions = {
  port: 7233,
  ip: '127.0.0.1',
  namespaces: ['default'],
  searchAttributes: {},
  logLevel: 'warn',
  logFormat: 'text',
  headless: false,
};

/**
 * The argv sdk-core's ephemeral server passes (ephemeral_server/mod.rs, SDK 1.24), with the
 * `--search-attribute` extras that TestWorkflowEnvironment.createLocal prepends to extraArgs, built with the
 * SDK's own type-name conversion.
 */
function createLocalArgv(opts: {
  port: number;
  namespace?: string;
  ui?: 'headless' | number;
  dbFilename?: string;
}): string[] {
  const argv = [
    'server',
    'start-dev',
    '--port',
    String(opts.port),
    '--namespace',
    opts.namespace ?? 'default',
    '--ip',
    '127.0.0.1',
    '--log-format',
    'pretty',
    '--log-level',
    'warn',
    '--dynamic-config-value',
    'frontend.enableServerVersionCheck=false',
    '--dynamic-config-value',
    'frontend.enableUpdateWorkflowExecution=true',
    '--dynamic-config-value',
    'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true',
  ];
  if (opts.dbFilename) argv.push('--db-filename', opts.dbFilename);
  if (typeof opts.ui === 'number') argv.push('--ui-port', String(opts.ui));
  else argv.push('--headless');
  for (const [name, type] of [
    ['ClusterId', SdkType.KEYWORD],
    ['Roles', SdkType.KEYWORD_LIST],
    ['Deadline', SdkType.DATETIME],
  ] as const) {
    argv.push('--search-attribute', `${name}=${TypedSearchAttributes.toMetadataType(type)}`);
  }
  return argv;
}

describe('parseDevServerArgs', () => {
  it('parses the exact argv TestWorkflowEnvironment.createLocal passes, without warnings', () => {
    const { options, warnings, help } = parseDevServerArgs(
      createLocalArgv({ port: 41234, namespace: 'plinth-test' }),
    );
    expect(options).toEqual({
      ...DEFAULTS,
      port: 41234,
      namespaces: ['default', 'plinth-test'],
      logFormat: 'pretty',
      logLevel: 'warn',
      headless: true,
      searchAttributes: { ClusterId: 'Keyword', Roles: 'KeywordList', Deadline: 'Datetime' },
    });
    expect(warnings).toEqual([]);
    expect(help).toBe(false);
  });

  it('parses the createLocal variant with a UI port and a db file', () => {
    const { options, warnings } = parseDevServerArgs(
      createLocalArgv({ port: 7300, ui: 8233, dbFilename: '/tmp/t.db' }),
    );
    expect(options).toMatchObject({
      port: 7300,
      uiPort: 8233,
      dbFilename: '/tmp/t.db',
      headless: false,
      namespaces: ['default'],
    });
    expect(warnings).toEqual([]);
  });

  it('returns the defaults for an empty argv and for bare `server start-dev`', () => {
    expect(parseDevServerArgs([])).toEqual({ options: DEFAULTS, warnings: [], help: false });
    expect(parseDevServerArgs(['server', 'start-dev'])).toEqual({
      options: DEFAULTS,
      warnings: [],
      help: false,
    });
    expect(parseDevServerArgs(['start-dev']).options).toEqual(DEFAULTS);
  });

  const cases: Array<[argv: string[], expected: Partial<DevServerCliOptions>]> = [
    [['--port=7000'], { port: 7000 }],
    [['-p', '7001'], { port: 7001 }],
    [['-p7002'], { port: 7002 }],
    [['-p=7003'], { port: 7003 }],
    [['--port', '1'], { port: 1 }],
    [['--port', '65535'], { port: 65535 }],
    [['--ip', '0.0.0.0'], { ip: '0.0.0.0' }],
    [['--ip=::1'], { ip: '::1' }],
    [
      ['-n', 'a', '--namespace', 'b', '--namespace=a', '-n', 'default'],
      { namespaces: ['default', 'a', 'b'] },
    ],
    [
      ['--search-attribute', 'A=keyword', '--search-attribute=B=INT', '--search-attribute', 'C=KEYWORD_LIST'],
      { searchAttributes: { A: 'Keyword', B: 'Int', C: 'KeywordList' } },
    ],
    [['--search-attribute', 'A=Text', '--search-attribute', 'A=Bool'], { searchAttributes: { A: 'Bool' } }],
    [['--log-level', 'DEBUG'], { logLevel: 'debug' }],
    [['--log-level=info'], { logLevel: 'info' }],
    [['--log-level', 'error'], { logLevel: 'error' }],
    [['--log-level', 'never'], { logLevel: 'error' }],
    [['--log-format', 'json'], { logFormat: 'json' }],
    [['--headless'], { headless: true }],
    [['--headless=false'], { headless: false }],
    [['--headless', '--port', '9'], { headless: true, port: 9 }],
    [['--ui-port', '8233', '--ui-ip', '0.0.0.0'], { uiPort: 8233, uiIp: '0.0.0.0' }],
    [['-f', 'x.db'], { dbFilename: 'x.db' }],
    [['--dynamic-config-value', 'limit.x=-1'], {}],
    [['--dynamic-config-value=a=b', '--port', '8000'], { port: 8000 }],
  ];

  it.each(cases)('%j', (argv, expected) => {
    const { options, warnings } = parseDevServerArgs(argv);
    expect(options).toEqual({ ...DEFAULTS, ...expected });
    expect(warnings).toEqual([]);
  });

  it('tolerates unknown flags with a warning, skipping their value unless the next token is a flag', () => {
    const { options, warnings } = parseDevServerArgs([
      'server',
      'start-dev',
      '--frobnicate',
      'yes',
      '--port',
      '7400',
      '--verbose',
      '--ip',
      '10.0.0.1',
      '--new-flag=value',
      '-z',
      '3',
      '-n',
      'ns',
    ]);
    expect(options).toEqual({ ...DEFAULTS, port: 7400, ip: '10.0.0.1', namespaces: ['default', 'ns'] });
    expect(warnings).toEqual([
      'ignoring unknown flag --frobnicate',
      'ignoring unknown flag --verbose',
      'ignoring unknown flag --new-flag',
      'ignoring unknown flag -z',
    ]);
  });

  it('knows which real-CLI flags it ignores and their arity', () => {
    const { options, warnings } = parseDevServerArgs([
      '--http-port',
      '7243',
      '--log-config',
      'extra',
      '--metrics-port=1',
      '--port',
      '7500',
    ]);
    expect(options.port).toBe(7500);
    expect(warnings).toEqual([
      'ignoring flag not supported by the Plinth dev server --http-port',
      'ignoring flag not supported by the Plinth dev server --log-config',
      "ignoring unexpected argument 'extra'",
      'ignoring flag not supported by the Plinth dev server --metrics-port',
    ]);
  });

  it('warns about stray positional arguments and anything after --', () => {
    const { options, warnings } = parseDevServerArgs([
      'server',
      'start-dev',
      'oops',
      '--port',
      '7600',
      '--',
      '--port',
      '1',
    ]);
    expect(options.port).toBe(7600);
    expect(warnings).toEqual([
      "ignoring unexpected argument 'oops'",
      "ignoring arguments after '--': --port 1",
    ]);
  });

  it('reports --help and -h', () => {
    expect(parseDevServerArgs(['--help']).help).toBe(true);
    expect(parseDevServerArgs(['server', 'start-dev', '-h']).help).toBe(true);
    expect(DEV_SERVER_USAGE).toMatch(/--port/);
    expect(DEV_SERVER_USAGE).toMatch(/--search-attribute <name=Type>/);
    expect(DEV_SERVER_USAGE).toMatch(/KeywordList/);
  });

  const errors: Array<[argv: string[], message: RegExp]> = [
    [['--port', '0'], /^--port: expected a port number between 1 and 65535, got '0'$/],
    [['--port', '65536'], /--port: expected a port number between 1 and 65535, got '65536'/],
    [['--port', 'abc'], /--port: expected a port number .* got 'abc'/],
    [['--port', '-1'], /--port: expected a port number .* got '-1'/],
    [['-p', '7.5'], /--port: expected a port number .* got '7.5'/],
    [['--port'], /^--port: missing value; expected a port number between 1 and 65535$/],
    [['--port', '--headless'], /--port: missing value/],
    [['--namespace'], /--namespace: missing value; expected a namespace name/],
    [['--namespace='], /--namespace: expected a namespace name, got an empty value/],
    [['--ui-port', '70000'], /--ui-port: expected a port number/],
    [
      ['--search-attribute', 'Foo=String'],
      /--search-attribute Foo: unknown type 'String'; expected one of Text, Keyword, Int, Double, Bool, Datetime, KeywordList/,
    ],
    [['--search-attribute', 'Foo'], /--search-attribute: expected name=Type .* got 'Foo'/],
    [['--search-attribute', '=Keyword'], /--search-attribute: expected name=Type/],
    [['--search-attribute', '1abc=Keyword'], /--search-attribute: expected name=Type/],
    [['--log-level', 'loud'], /--log-level: expected one of debug, info, warn, error, got 'loud'/],
    [['--log-format', 'xml'], /--log-format: expected one of text, json, pretty, got 'xml'/],
    [['--headless=maybe'], /--headless: expected true or false, got 'maybe'/],
    [['--dynamic-config-value', 'novalue'], /--dynamic-config-value: expected KEY=VALUE, got 'novalue'/],
    [['--dynamic-config-value'], /--dynamic-config-value: missing value/],
  ];

  it.each(errors)('rejects %j', (argv, message) => {
    expect(() => parseDevServerArgs(argv)).toThrow(message);
  });
});
