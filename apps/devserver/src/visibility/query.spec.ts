import { describe, expect, it } from 'vitest';
import { VisibilityQueryError, type SearchAttributeType, type VisibilityRecord } from './ports';
import { compileVisibilityQuery } from './query';
import { createSearchAttributeRegistry } from './search-attributes';

const registry = createSearchAttributeRegistry({
  Env: 'Keyword',
  Tags: 'KeywordList',
  Description: 'Text',
  Priority: 'Int',
  Score: 'Double',
  Urgent: 'Bool',
  Deadline: 'Datetime',
  Order: 'Keyword',
} satisfies Record<string, SearchAttributeType>);

const t = (iso: string): number => Date.parse(iso);

function run(id: string, overrides: Partial<VisibilityRecord> = {}): VisibilityRecord {
  return {
    workflowId: id,
    runId: `run-${id}`,
    workflowType: 'deployCluster',
    taskQueue: 'deploy',
    executionStatus: 'Running',
    startTimeMs: t('2026-01-01T00:00:00Z'),
    executionTimeMs: t('2026-01-01T00:00:00Z'),
    historyLength: 3,
    searchAttributes: {},
    ...overrides,
  };
}

/** Fixture: a small, varied population. Each test names which workflow ids it expects. */
const RUNS: VisibilityRecord[] = [
  run('a', {
    workflowType: 'deployCluster',
    executionStatus: 'Completed',
    startTimeMs: t('2026-01-01T10:00:00Z'),
    executionTimeMs: t('2026-01-01T10:00:00Z'),
    closeTimeMs: t('2026-01-01T11:00:00Z'),
    historyLength: 20,
    searchAttributes: {
      Env: 'prod',
      Tags: ['gpu', 'rack-1'],
      Description: 'Install the Kubernetes control plane',
      Priority: 5,
      Score: 0.5,
      Urgent: true,
      Deadline: t('2026-02-01T00:00:00Z'),
      TemporalScheduledById: 'nightly',
      BuildIds: ['versioned:1.0'],
    },
  }),
  run('b', {
    workflowType: 'provisionMachine',
    executionStatus: 'Failed',
    startTimeMs: t('2026-01-02T10:00:00Z'),
    executionTimeMs: t('2026-01-02T10:00:00Z'),
    closeTimeMs: t('2026-01-02T10:00:30Z'),
    historyLength: 7,
    searchAttributes: {
      Env: 'staging',
      Tags: ['rack-2'],
      Description: 'wipe disks',
      Priority: 1,
      Score: 2.25,
      Urgent: false,
    },
  }),
  run('c', {
    workflowType: 'provisionMachine',
    executionStatus: 'Running',
    taskQueue: 'machines',
    startTimeMs: t('2026-01-03T10:00:00Z'),
    executionTimeMs: t('2026-01-03T10:00:00Z'),
    historyLength: 3,
    searchAttributes: { Env: 'prod', Priority: 5 },
  }),
  run('d-child', {
    workflowType: 'deployCluster',
    executionStatus: 'TimedOut',
    startTimeMs: t('2026-01-03T10:00:00Z'),
    executionTimeMs: t('2026-01-03T10:00:00Z'),
    closeTimeMs: t('2026-01-03T12:00:00Z'),
    historyLength: 12,
    searchAttributes: {},
  }),
];

function ids(query: string): string[] {
  const compiled = compileVisibilityQuery(query, registry);
  return RUNS.filter((r) => compiled.matches(r))
    .map((r) => r.workflowId)
    .sort();
}

describe('compileVisibilityQuery: filtering', () => {
  const cases: Array<[query: string, expected: string[]]> = [
    ['', ['a', 'b', 'c', 'd-child']],
    ['   ', ['a', 'b', 'c', 'd-child']],
    // Keyword equality and inequality, both quote styles, <> alias
    [`WorkflowType = 'provisionMachine'`, ['b', 'c']],
    [`WorkflowType = "provisionMachine"`, ['b', 'c']],
    [`WorkflowType != 'provisionMachine'`, ['a', 'd-child']],
    [`WorkflowType <> 'provisionMachine'`, ['a', 'd-child']],
    [`WorkflowId = 'a'`, ['a']],
    [`RunId = 'run-b'`, ['b']],
    [`TaskQueue = 'machines'`, ['c']],
    // Keyword ranges compare lexically
    [`WorkflowId > 'b'`, ['c', 'd-child']],
    [`WorkflowId >= 'b'`, ['b', 'c', 'd-child']],
    [`WorkflowId < 'b'`, ['a']],
    [`WorkflowId <= 'b'`, ['a', 'b']],
    [`WorkflowId BETWEEN 'b' AND 'c'`, ['b', 'c']],
    [`WorkflowId NOT BETWEEN 'b' AND 'c'`, ['a', 'd-child']],
    [`WorkflowId STARTS_WITH 'd-'`, ['d-child']],
    [`WorkflowId NOT STARTS_WITH 'd-'`, ['a', 'b', 'c']],
    [`WorkflowId IN ('a', 'c', 'zzz')`, ['a', 'c']],
    [`WorkflowId NOT IN ('a', 'c')`, ['b', 'd-child']],
    // ExecutionStatus: canonical, case-insensitive, enum-name and numeric forms
    [`ExecutionStatus = 'Running'`, ['c']],
    [`ExecutionStatus = 'running'`, ['c']],
    [`ExecutionStatus = 'WORKFLOW_EXECUTION_STATUS_TIMED_OUT'`, ['d-child']],
    [`ExecutionStatus = 3`, ['b']],
    [`ExecutionStatus IN ('Completed', 'Failed')`, ['a', 'b']],
    [`ExecutionStatus != 'Running'`, ['a', 'b', 'd-child']],
    // Int / Double
    [`HistoryLength > 7`, ['a', 'd-child']],
    [`HistoryLength >= 7`, ['a', 'b', 'd-child']],
    [`HistoryLength BETWEEN 3 AND 7`, ['b', 'c']],
    [`HistoryLength IN (3, 20)`, ['a', 'c']],
    [`Priority = 5`, ['a', 'c']],
    [`Score < 1`, ['a']],
    [`Score >= 2.25`, ['b']],
    [`Score = 2.25e0`, ['b']],
    [`Priority > -1`, ['a', 'b', 'c']],
    // Bool, bare and quoted
    [`Urgent = true`, ['a']],
    [`Urgent = FALSE`, ['b']],
    [`Urgent = 'true'`, ['a']],
    [`Urgent != true`, ['b']],
    // Datetime: RFC 3339 literals compared as instants, any offset
    [`StartTime > '2026-01-02T00:00:00Z'`, ['b', 'c', 'd-child']],
    [`StartTime >= '2026-01-02T12:00:00+02:00'`, ['b', 'c', 'd-child']],
    [`StartTime < '2026-01-02T10:00:00.000000001Z'`, ['a', 'b']],
    [`StartTime = '2026-01-03T10:00:00Z'`, ['c', 'd-child']],
    [`StartTime > '2026-01-02T09:59:59.999999999Z'`, ['b', 'c', 'd-child']],
    [`StartTime = '2026-01-02T10:00:00.000000001Z'`, []],
    [`StartTime = '2026-01-02T10:00:00.000000000Z'`, ['b']],
    [`StartTime BETWEEN '2026-01-01T00:00:00Z' AND '2026-01-02T10:00:00Z'`, ['a', 'b']],
    [`StartTime > 1767261600000000000`, ['b', 'c', 'd-child']], // epoch nanoseconds of 2026-01-01T10:00Z
    [`CloseTime < '2026-01-02T00:00:00Z'`, ['a']],
    [`ExecutionTime <= '2026-01-01T10:00:00Z'`, ['a']],
    [`Deadline > '2026-01-15T00:00:00Z'`, ['a']],
    // ExecutionDuration: nanoseconds or duration strings; unset while running
    [`ExecutionDuration > '59m'`, ['a', 'd-child']],
    [`ExecutionDuration >= '1h30m'`, ['d-child']],
    [`ExecutionDuration < '1m'`, ['b']],
    [`ExecutionDuration = 30000000000`, ['b']],
    [`ExecutionDuration = '00:00:30'`, ['b']],
    [`ExecutionDuration BETWEEN '1h' AND '2h'`, ['a', 'd-child']],
    // KeywordList: = is "contains", IN is "intersects"
    [`Tags = 'gpu'`, ['a']],
    [`Tags = 'rack'`, []],
    [`Tags IN ('rack-2', 'rack-1')`, ['a', 'b']],
    [`Tags NOT IN ('rack-2')`, ['a']],
    [`Tags != 'gpu'`, ['b']],
    [`BuildIds = 'versioned:1.0'`, ['a']],
    // Text: case-insensitive word match, all words required
    [`Description = 'kubernetes'`, ['a']],
    [`Description = 'CONTROL plane'`, ['a']],
    [`Description = 'control disks'`, []],
    [`Description = 'Kube'`, []],
    [`Description != 'disks'`, ['a']],
    // IS NULL / IS NOT NULL
    [`CloseTime IS NULL`, ['c']],
    [`CloseTime IS NOT NULL`, ['a', 'b', 'd-child']],
    [`Env IS NULL`, ['d-child']],
    [`Tags is not null`, ['a', 'b']],
    [`ExecutionDuration IS NULL`, ['c']],
    [`TemporalScheduledById = 'nightly'`, ['a']],
    // Absent attributes: comparisons are UNKNOWN, so neither = nor != nor NOT matches them
    [`Env = 'prod'`, ['a', 'c']],
    [`Env != 'prod'`, ['b']],
    [`NOT Env = 'prod'`, ['b']],
    [`NOT (Env = 'prod') OR Env IS NULL`, ['b', 'd-child']],
    // Precedence: AND binds tighter than OR; parentheses override
    [`WorkflowId = 'a' OR WorkflowId = 'b' AND Env = 'prod'`, ['a']],
    [`(WorkflowId = 'a' OR WorkflowId = 'b') AND Env = 'staging'`, ['b']],
    [`Env = 'prod' AND ExecutionStatus = 'Running' OR ExecutionStatus = 'TimedOut'`, ['c', 'd-child']],
    [`Env = 'prod' AND (ExecutionStatus = 'Running' OR ExecutionStatus = 'TimedOut')`, ['c']],
    [`NOT WorkflowId = 'a' AND NOT WorkflowId = 'b'`, ['c', 'd-child']],
    [`NOT (WorkflowId = 'a' OR WorkflowId = 'b')`, ['c', 'd-child']],
    [`((WorkflowId = 'a'))`, ['a']],
    // Keywords are case-insensitive; backtick names; escapes and doubled quotes
    [`WorkflowType = 'deployCluster' and HistoryLength > 10 oR WorkflowId In ('b')`, ['a', 'b', 'd-child']],
    [`\`WorkflowId\` = 'c'`, ['c']],
    [`\`Order\` IS NULL`, ['a', 'b', 'c', 'd-child']],
    [`WorkflowId = 'it\\'s' OR WorkflowId = 'it''s' OR WorkflowId = "say \\"hi\\""`, []],
    // ORDER BY / GROUP BY do not filter
    [`ORDER BY StartTime`, ['a', 'b', 'c', 'd-child']],
    [`ExecutionStatus = 'Failed' ORDER BY StartTime DESC`, ['b']],
  ];

  it.each(cases)('%s', (query, expected) => {
    expect(ids(query)).toEqual(expected);
  });

  it('decodes escapes in string literals', () => {
    const compiled = compileVisibilityQuery(`WorkflowId = 'it\\'s\\n' AND RunId = "x""y"`, registry);
    expect(compiled.matches(run(`it's\n`, { runId: 'x"y' }))).toBe(true);
    expect(compiled.matches(run(`it's`, { runId: 'x"y' }))).toBe(false);
  });

  it('treats a legacy multi-value Keyword as matching any of its values', () => {
    const compiled = compileVisibilityQuery(`Env = 'blue'`, registry);
    expect(compiled.matches(run('x', { searchAttributes: { Env: ['green', 'blue'] } }))).toBe(true);
    expect(compiled.matches(run('x', { searchAttributes: { Env: ['green'] } }))).toBe(false);
  });

  it('reads Datetime attributes stored as ISO strings as well as epoch milliseconds', () => {
    const compiled = compileVisibilityQuery(`Deadline < '2026-03-01T00:00:00Z'`, registry);
    expect(compiled.matches(run('x', { searchAttributes: { Deadline: '2026-02-01T00:00:00Z' } }))).toBe(true);
    expect(compiled.matches(run('x', { searchAttributes: { Deadline: '2026-04-01T00:00:00Z' } }))).toBe(
      false,
    );
  });

  it('knows the dev server predefined custom attributes only through the registry', () => {
    const devRegistry = createSearchAttributeRegistry();
    const compiled = compileVisibilityQuery(`CustomKeywordField = 'k' AND CustomIntField > 1`, devRegistry);
    expect(
      compiled.matches(run('x', { searchAttributes: { CustomKeywordField: 'k', CustomIntField: 2 } })),
    ).toBe(true);
    expect(
      compiled.matches(run('x', { searchAttributes: { CustomKeywordField: 'k', CustomIntField: 1 } })),
    ).toBe(false);
    expect(() => compileVisibilityQuery(`CustomKeywordField = 'k'`, new Map())).toThrow(
      /unknown search attribute 'CustomKeywordField'/,
    );
  });
});

describe('compileVisibilityQuery: ordering', () => {
  const sorted = (query: string, records = RUNS): string[] => {
    const compiled = compileVisibilityQuery(query, registry);
    return [...records].sort((x, y) => compiled.compare(x, y)).map((r) => r.workflowId);
  };

  it('defaults to StartTime DESC, ties broken by RunId', () => {
    expect(sorted('')).toEqual(['c', 'd-child', 'b', 'a']);
    expect(sorted(`WorkflowType = 'x'`)).toEqual(['c', 'd-child', 'b', 'a']);
  });

  it('sorts ascending by default and honours DESC', () => {
    expect(sorted('ORDER BY HistoryLength')).toEqual(['c', 'b', 'd-child', 'a']);
    expect(sorted('ORDER BY HistoryLength ASC')).toEqual(['c', 'b', 'd-child', 'a']);
    expect(sorted('order by HistoryLength desc')).toEqual(['a', 'd-child', 'b', 'c']);
  });

  it('sorts by several keys in turn', () => {
    expect(sorted('ORDER BY WorkflowType DESC, HistoryLength DESC')).toEqual(['b', 'c', 'a', 'd-child']);
    expect(sorted('ORDER BY WorkflowType ASC, StartTime ASC')).toEqual(['a', 'd-child', 'b', 'c']);
  });

  it('puts runs without the attribute last in both directions', () => {
    expect(sorted('ORDER BY CloseTime ASC')).toEqual(['a', 'b', 'd-child', 'c']);
    expect(sorted('ORDER BY CloseTime DESC')).toEqual(['d-child', 'b', 'a', 'c']);
    expect(sorted('ORDER BY Priority DESC, WorkflowId DESC')).toEqual(['c', 'a', 'b', 'd-child']);
  });

  it('orders Datetime custom attributes and accepts a filter before ORDER BY', () => {
    expect(sorted(`Env IS NOT NULL ORDER BY Env, StartTime DESC`)).toEqual(['c', 'a', 'b', 'd-child']);
  });

  it('is a total order: equal keys fall back to RunId', () => {
    const twins = [run('x', { runId: 'r2' }), run('x', { runId: 'r1' })];
    const compiled = compileVisibilityQuery('ORDER BY WorkflowId', registry);
    expect([...twins].sort((p, q) => compiled.compare(p, q)).map((r) => r.runId)).toEqual(['r1', 'r2']);
  });
});

describe('compileVisibilityQuery: GROUP BY', () => {
  it('exposes GROUP BY ExecutionStatus', () => {
    expect(compileVisibilityQuery('GROUP BY ExecutionStatus', registry).groupBy).toEqual(['ExecutionStatus']);
    const compiled = compileVisibilityQuery(
      `WorkflowType = 'deployCluster' GROUP BY ExecutionStatus`,
      registry,
    );
    expect(compiled.groupBy).toEqual(['ExecutionStatus']);
    expect(RUNS.filter((r) => compiled.matches(r)).map((r) => r.workflowId)).toEqual(['a', 'd-child']);
  });

  it('has no groups without GROUP BY', () => {
    expect(compileVisibilityQuery(`WorkflowId = 'a'`, registry).groupBy).toEqual([]);
  });
});

describe('compileVisibilityQuery: errors', () => {
  const cases: Array<[query: string, message: RegExp]> = [
    [`Foo = 'bar'`, /unknown search attribute 'Foo' \(at position 1\)/],
    [`workflowId = 'a'`, /unknown search attribute 'workflowId' \(did you mean 'WorkflowId'\?\)/],
    [`WorkflowId = 'a' AND Nope > 1`, /unknown search attribute 'Nope' \(at position 22\)/],
    [
      `HistoryLength = 'ten'`,
      /invalid value 'ten' for Int attribute HistoryLength: expected an integer \(at position 17\)/,
    ],
    [`HistoryLength = 1.5`, /Int attribute HistoryLength: expected an integer/],
    [`Score = 'x'`, /Double attribute Score: expected a number/],
    [`WorkflowId = 5`, /invalid value 5 for Keyword attribute WorkflowId: expected a quoted string/],
    [`Urgent = 1`, /Bool attribute Urgent: expected true or false/],
    [
      `StartTime > 'yesterday'`,
      /invalid value 'yesterday' for Datetime attribute StartTime: expected an RFC 3339 time/,
    ],
    [`StartTime > '5'`, /Datetime attribute StartTime/],
    [
      `ExecutionStatus = 'Sleeping'`,
      /Keyword attribute ExecutionStatus: expected one of Running, Completed, Failed, Canceled, Terminated, ContinuedAsNew, TimedOut/,
    ],
    [`ExecutionDuration > 'long'`, /ExecutionDuration: expected nanoseconds or a duration/],
    [`Description > 'a'`, /operator > is not supported for Text attribute Description/],
    [`Description IN ('a')`, /operator IN is not supported for Text attribute Description/],
    [`Description STARTS_WITH 'a'`, /operator STARTS_WITH is not supported for Text attribute Description/],
    [`Tags > 'a'`, /operator > is not supported for KeywordList attribute Tags/],
    [`Tags NOT BETWEEN 'a' AND 'b'`, /operator NOT BETWEEN is not supported for KeywordList attribute Tags/],
    [
      `HistoryLength STARTS_WITH '1'`,
      /operator STARTS_WITH is not supported for Int attribute HistoryLength/,
    ],
    [`Urgent < true`, /operator < is not supported for Bool attribute Urgent/],
    [`WorkflowId = NULL`, /compare with NULL using IS NULL or IS NOT NULL/],
    [`WorkflowId = `, /expected a value .* found the end of the query/],
    [`WorkflowId 'a'`, /expected an operator .* after 'WorkflowId', found 'a' \(at position 12\)/],
    [`WorkflowId = 'a`, /unterminated string literal \(at position 14\)/],
    [`\`WorkflowId = 'a'`, /unterminated backtick-quoted name/],
    [`(WorkflowId = 'a'`, /expected '\)', found the end of the query/],
    [`WorkflowId = 'a')`, /unexpected '\)'; expected AND, OR, GROUP BY, ORDER BY or the end of the query/],
    [`WorkflowId = 'a' AND`, /expected a search attribute name, found the end of the query/],
    [`WorkflowId = 'a' 'b'`, /unexpected 'b'/],
    [`WorkflowId IN ()`, /expected a value/],
    [`WorkflowId IN ('a'`, /expected '\)' to close the IN list/],
    [`WorkflowId BETWEEN 'a' 'b'`, /expected AND, found 'b'/],
    [`WorkflowId IS 'a'`, /expected NULL, found 'a'/],
    [`WorkflowId == 'a'`, /expected a value .* found '='/],
    [`WorkflowId = 'a' ; DROP`, /unexpected character ';' \(at position 18\)/],
    [`HistoryLength > 12abc`, /malformed number/],
    [`GROUP BY WorkflowType`, /GROUP BY is only supported for ExecutionStatus, not 'WorkflowType'/],
    [`ORDER BY Description`, /cannot ORDER BY Text attribute Description/],
    [`ORDER BY Nope`, /unknown search attribute 'Nope'/],
    [`ORDER StartTime`, /expected BY, found 'StartTime'/],
    [`ORDER BY StartTime ORDER BY RunId`, /unexpected 'ORDER'/],
    [`WorkflowId NOT = 'a'`, /expected an operator .* found '=' \(at position 16\)/],
    [`AND = 'x'`, /expected a search attribute name, found 'AND'/],
  ];

  it.each(cases)('%s', (query, message) => {
    let error: unknown;
    try {
      compileVisibilityQuery(query, registry);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(VisibilityQueryError);
    expect((error as Error).message).toMatch(/^invalid query: /);
    expect((error as Error).message).toMatch(message);
  });
});
