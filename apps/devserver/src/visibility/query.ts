import {
  type CompiledVisibilityQuery,
  type SearchAttributeRegistry,
  type SearchAttributeType,
  type SearchAttributeValue,
  type VisibilityRecord,
  VisibilityQueryError,
} from './ports';
import { PREDEFINED_SEARCH_ATTRIBUTES, SYSTEM_SEARCH_ATTRIBUTES } from './search-attributes';

/*
 * Temporal's "List Filter" language (the `query` of ListWorkflowExecutions / CountWorkflowExecutions):
 *
 *   query      := [expr] [GROUP BY attr {, attr}] [ORDER BY attr [ASC|DESC] {, attr [ASC|DESC]}]
 *   expr       := andExpr {OR andExpr}
 *   andExpr    := notExpr {AND notExpr}                 -- AND binds tighter than OR, as in SQL
 *   notExpr    := NOT notExpr | '(' expr ')' | predicate
 *   predicate  := attr (= | != | <> | < | <= | > | >=) literal
 *               | attr [NOT] IN '(' literal {, literal} ')'
 *               | attr [NOT] BETWEEN literal AND literal
 *               | attr [NOT] STARTS_WITH literal
 *               | attr IS [NOT] NULL
 *   attr       := identifier | `backtick quoted`
 *   literal    := 'string' | "string" | number | TRUE | FALSE
 *
 * Keywords are case-insensitive; attribute names are case-sensitive, as in the real server.
 * Evaluation uses SQL's three-valued logic (the dev server's real counterpart is SQLite): a comparison
 * against an absent attribute is UNKNOWN, so neither `X = 'a'` nor `X != 'a'` nor `NOT X = 'a'` matches a
 * run without X; only `X IS NULL` does.
 */

/** Canonical ExecutionStatus names, indexed by `temporal.api.enums.v1.WorkflowExecutionStatus` value. */
const EXECUTION_STATUSES = [
  undefined,
  'Running',
  'Completed',
  'Failed',
  'Canceled',
  'Terminated',
  'ContinuedAsNew',
  'TimedOut',
] as const;

type TokenKind = 'ident' | 'string' | 'number' | 'op' | 'lparen' | 'rparen' | 'comma' | 'eof';

interface Token {
  kind: TokenKind;
  /** Identifier name, string contents, operator, or the number's source text. */
  text: string;
  /** True for a backtick-quoted identifier: never treated as a keyword. */
  quoted: boolean;
  /** 1-based character position in the query, for error messages. */
  pos: number;
}

type Literal =
  | { kind: 'string'; value: string; pos: number }
  | { kind: 'number'; value: number; text: string; pos: number }
  | { kind: 'bool'; value: boolean; pos: number };

/** SQL three-valued logic: null is UNKNOWN. */
type Tri = boolean | null;
type Predicate = (record: VisibilityRecord) => Tri;
type Scalar = string | number | boolean;
/** A record's attribute value normalised to its type; arrays for KeywordList (and legacy multi-value Keyword). */
type FieldValue = Scalar | string[] | null;

interface AttributeRef {
  name: string;
  type: SearchAttributeType;
  get(record: VisibilityRecord): FieldValue;
}

const fail = (message: string, pos?: number): VisibilityQueryError =>
  new VisibilityQueryError(`invalid query: ${message}${pos === undefined ? '' : ` (at position ${pos})`}`);

// ---------------------------------------------------------------------------------------------------------
// Tokenizer

const ESCAPES: Readonly<Record<string, string>> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '0': '\0',
  b: '\b',
  Z: '\x1a',
};

function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, text: string, start: number, quoted = false): void => {
    tokens.push({ kind, text, quoted, pos: start + 1 });
  };
  while (i < query.length) {
    const ch = query[i] as string;
    const start = i;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '(') {
      push('lparen', ch, start);
      i++;
    } else if (ch === ')') {
      push('rparen', ch, start);
      i++;
    } else if (ch === ',') {
      push('comma', ch, start);
      i++;
    } else if (ch === "'" || ch === '"') {
      let text = '';
      i++;
      for (;;) {
        if (i >= query.length) throw fail(`unterminated string literal`, start + 1);
        const c = query[i] as string;
        if (c === '\\' && i + 1 < query.length) {
          const next = query[i + 1] as string;
          text += ESCAPES[next] ?? next;
          i += 2;
        } else if (c === ch) {
          // SQL style: a doubled quote inside the literal is one quote character.
          if (query[i + 1] === ch) {
            text += ch;
            i += 2;
          } else {
            i++;
            break;
          }
        } else {
          text += c;
          i++;
        }
      }
      push('string', text, start);
    } else if (ch === '`') {
      let text = '';
      i++;
      for (;;) {
        if (i >= query.length) throw fail(`unterminated backtick-quoted name`, start + 1);
        const c = query[i] as string;
        if (c === '`') {
          if (query[i + 1] === '`') {
            text += '`';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        text += c;
        i++;
      }
      if (text === '') throw fail('empty backtick-quoted name', start + 1);
      push('ident', text, start, true);
    } else if (
      /[0-9]/.test(ch) ||
      ((ch === '-' || ch === '+' || ch === '.') && /[0-9.]/.test(query[i + 1] ?? ''))
    ) {
      const match = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?/.exec(query.slice(i));
      if (!match) throw fail(`malformed number`, start + 1);
      i += match[0].length;
      if (/[A-Za-z_]/.test(query[i] ?? ''))
        throw fail(`malformed number '${match[0]}${query[i]}'`, start + 1);
      push('number', match[0], start);
    } else if (/[A-Za-z_]/.test(ch)) {
      const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(query.slice(i)) as RegExpExecArray;
      i += match[0].length;
      push('ident', match[0], start);
    } else {
      const two = query.slice(i, i + 2);
      if (two === '!=' || two === '<>' || two === '<=' || two === '>=') {
        push('op', two === '<>' ? '!=' : two, start);
        i += 2;
      } else if (ch === '=' || ch === '<' || ch === '>') {
        push('op', ch, start);
        i++;
      } else {
        throw fail(`unexpected character '${ch}'`, start + 1);
      }
    }
  }
  tokens.push({ kind: 'eof', text: '', quoted: false, pos: query.length + 1 });
  return tokens;
}

// ---------------------------------------------------------------------------------------------------------
// Attribute resolution and value normalisation

function recordField(name: string): ((r: VisibilityRecord) => SearchAttributeValue | undefined) | undefined {
  switch (name) {
    case 'WorkflowId':
      return (r) => r.workflowId;
    case 'RunId':
      return (r) => r.runId;
    case 'WorkflowType':
      return (r) => r.workflowType;
    case 'TaskQueue':
      return (r) => r.taskQueue;
    case 'ExecutionStatus':
      return (r) => r.executionStatus;
    case 'StartTime':
      return (r) => r.startTimeMs;
    case 'ExecutionTime':
      return (r) => r.executionTimeMs;
    case 'CloseTime':
      return (r) => r.closeTimeMs;
    case 'HistoryLength':
      return (r) => r.historyLength;
    case 'ExecutionDuration':
      // Temporal defines it as CloseTime - ExecutionTime, in nanoseconds, and leaves it unset while open.
      return (r) => (r.closeTimeMs === undefined ? null : (r.closeTimeMs - r.executionTimeMs) * 1e6);
    default:
      return undefined;
  }
}

function normalise(type: SearchAttributeType, raw: SearchAttributeValue | undefined): FieldValue {
  if (raw === undefined || raw === null) return null;
  if (Array.isArray(raw)) {
    if (raw.length === 0) return null;
    if (type === 'KeywordList' || (type === 'Keyword' && raw.length > 1)) return raw;
    if (type === 'Text') return raw.join(' ');
    return normalise(type, raw[0]);
  }
  if (type === 'KeywordList') return typeof raw === 'string' ? [raw] : null;
  if (type === 'Datetime' && typeof raw === 'string') {
    const ms = Date.parse(raw);
    return Number.isNaN(ms) ? null : ms;
  }
  return raw;
}

function resolveAttribute(token: Token, registry: SearchAttributeRegistry): AttributeRef {
  const name = token.text;
  const type =
    SYSTEM_SEARCH_ATTRIBUTES.get(name) ?? PREDEFINED_SEARCH_ATTRIBUTES.get(name) ?? registry.get(name);
  if (type === undefined) {
    const known = [
      ...SYSTEM_SEARCH_ATTRIBUTES.keys(),
      ...PREDEFINED_SEARCH_ATTRIBUTES.keys(),
      ...registry.keys(),
    ];
    const sameIgnoringCase = known.find((k) => k.toLowerCase() === name.toLowerCase());
    throw fail(
      `unknown search attribute '${name}'${sameIgnoringCase ? ` (did you mean '${sameIgnoringCase}'?)` : ''}`,
      token.pos,
    );
  }
  const field = recordField(name);
  return {
    name,
    type,
    get: field ? (r) => normalise(type, field(r)) : (r) => normalise(type, r.searchAttributes[name]),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Literal coercion (at compile time, so a bad literal fails the query rather than silently matching nothing)

const DURATION_UNITS_NS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
  d: 86_400e9,
};

/** Go-style duration ('1h30m', '1.5s', '250ms', '2d') or 'hh:mm:ss[.fff]' → nanoseconds; undefined if neither. */
function parseDurationNs(text: string): number | undefined {
  const clock = /^(\d+):([0-5]?\d):([0-5]?\d(?:\.\d+)?)$/.exec(text);
  if (clock) return (Number(clock[1]) * 3600 + Number(clock[2]) * 60 + Number(clock[3])) * 1e9;
  if (!/^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h|d))+$/.test(text)) return undefined;
  let total = 0;
  for (const part of text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)/g)) {
    total += Number(part[1]) * (DURATION_UNITS_NS[part[2] as string] as number);
  }
  return total;
}

/**
 * RFC 3339 → epoch milliseconds. Date.parse truncates '10:00:00.000000001Z' to '10:00:00Z', which would make
 * `StartTime < that` exclude a run started at exactly 10:00:00. Record times are whole milliseconds, so any
 * non-zero sub-millisecond part is represented as +0.5 ms: strictly between the two neighbouring instants, which
 * orders correctly against every record (a literal 1e-6 ms would vanish in float rounding at epoch scale).
 */
function parseTimeMs(text: string): number {
  const match = /^(\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2})\.(\d+)(.*)$/.exec(text);
  if (!match) return Date.parse(text);
  const fraction = match[2] as string;
  const whole = Date.parse(`${match[1]}.${fraction.slice(0, 3).padEnd(3, '0')}${match[3]}`);
  return /[1-9]/.test(fraction.slice(3)) ? whole + 0.5 : whole;
}

function describeLiteral(lit: Literal): string {
  return lit.kind === 'string' ? `'${lit.value}'` : lit.kind === 'number' ? lit.text : String(lit.value);
}

function coerceLiteral(attr: AttributeRef, lit: Literal): Scalar {
  const mismatch = (expected: string): VisibilityQueryError =>
    fail(
      `invalid value ${describeLiteral(lit)} for ${attr.type} attribute ${attr.name}: expected ${expected}`,
      lit.pos,
    );

  if (attr.name === 'ExecutionStatus') {
    if (lit.kind === 'number' && Number.isInteger(lit.value)) {
      const status = EXECUTION_STATUSES[lit.value];
      if (status) return status;
    }
    if (lit.kind === 'string') {
      const wanted = lit.value
        .replace(/^WORKFLOW_EXECUTION_STATUS_/i, '')
        .replace(/_/g, '')
        .toLowerCase();
      const status = EXECUTION_STATUSES.find((s) => s?.toLowerCase() === wanted);
      if (status) return status;
    }
    throw mismatch(`one of ${EXECUTION_STATUSES.filter(Boolean).join(', ')}`);
  }
  if (attr.name === 'ExecutionDuration') {
    if (lit.kind === 'number') return lit.value;
    if (lit.kind === 'string') {
      const ns = parseDurationNs(lit.value.trim());
      if (ns !== undefined) return ns;
    }
    throw mismatch(`nanoseconds or a duration such as '1h', '30m', '1.5s' or '01:30:00'`);
  }

  switch (attr.type) {
    case 'Keyword':
    case 'Text':
    case 'KeywordList':
      if (lit.kind === 'string') return lit.value;
      throw mismatch('a quoted string');
    case 'Int':
      if (lit.kind === 'number' && Number.isInteger(lit.value)) return lit.value;
      throw mismatch('an integer');
    case 'Double':
      if (lit.kind === 'number') return lit.value;
      throw mismatch('a number');
    case 'Bool':
      if (lit.kind === 'bool') return lit.value;
      if (lit.kind === 'string' && /^(true|false)$/i.test(lit.value))
        return lit.value.toLowerCase() === 'true';
      throw mismatch('true or false');
    case 'Datetime':
      if (lit.kind === 'string') {
        // Require at least a calendar date so that e.g. '5' is not silently read as the year 2005.
        const ms = /^\d{4}-\d{2}-\d{2}/.test(lit.value.trim()) ? parseTimeMs(lit.value.trim()) : NaN;
        if (!Number.isNaN(ms)) return ms;
      } else if (lit.kind === 'number' && Number.isInteger(lit.value)) {
        // Temporal also accepts epoch nanoseconds for Datetime.
        return lit.value / 1e6;
      }
      throw mismatch(`an RFC 3339 time such as '2024-01-02T15:04:05Z'`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Predicates

type Operator = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'IN' | 'BETWEEN' | 'STARTS_WITH';

/** Which operators each type supports; mirrors what the real SQL/ES converters accept. */
const SUPPORTED: Readonly<Record<SearchAttributeType, readonly Operator[]>> = {
  Keyword: ['=', '!=', '<', '<=', '>', '>=', 'IN', 'BETWEEN', 'STARTS_WITH'],
  Text: ['=', '!='],
  KeywordList: ['=', '!=', 'IN'],
  Int: ['=', '!=', '<', '<=', '>', '>=', 'IN', 'BETWEEN'],
  Double: ['=', '!=', '<', '<=', '>', '>=', 'IN', 'BETWEEN'],
  Datetime: ['=', '!=', '<', '<=', '>', '>=', 'IN', 'BETWEEN'],
  Bool: ['=', '!=', 'IN'],
};

function compareScalars(a: Scalar, b: Scalar): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** Lower-cased word tokens, for Text's full-text `=`. */
function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/**
 * Builds the predicate for `attr op literals` (positive form; `negated` wraps it). For a multi-valued field the
 * positive form holds when any element satisfies it, so `KeywordList = 'a'` means "contains a" and the negated
 * forms mean "no element satisfies".
 */
function buildPredicate(
  attr: AttributeRef,
  op: Operator,
  literals: Literal[],
  negated: boolean,
  opToken: Token,
): Predicate {
  if (!SUPPORTED[attr.type].includes(op)) {
    const spelled = op === '!=' || !negated ? op : `NOT ${op}`;
    throw fail(`operator ${spelled} is not supported for ${attr.type} attribute ${attr.name}`, opToken.pos);
  }
  const values = literals.map((lit) => coerceLiteral(attr, lit));
  let test: (v: Scalar) => boolean;
  switch (op) {
    case '=':
    case '!=': {
      const [target] = values as [Scalar];
      if (attr.type === 'Text') {
        const wanted = words(String(target));
        test = (v) => {
          const have = new Set(words(String(v)));
          return wanted.length === 0
            ? String(v).trim() === String(target).trim()
            : wanted.every((w) => have.has(w));
        };
      } else {
        test = (v) => compareScalars(v, target) === 0;
      }
      break;
    }
    case '<':
    case '<=':
    case '>':
    case '>=': {
      const [target] = values as [Scalar];
      const ok = {
        '<': (c: number) => c < 0,
        '<=': (c: number) => c <= 0,
        '>': (c: number) => c > 0,
        '>=': (c: number) => c >= 0,
      }[op];
      test = (v) => ok(compareScalars(v, target));
      break;
    }
    case 'IN':
      test = (v) => values.some((target) => compareScalars(v, target) === 0);
      break;
    case 'BETWEEN': {
      const [low, high] = values as [Scalar, Scalar];
      test = (v) => compareScalars(v, low) >= 0 && compareScalars(v, high) <= 0;
      break;
    }
    case 'STARTS_WITH': {
      const prefix = String(values[0]);
      test = (v) => typeof v === 'string' && v.startsWith(prefix);
      break;
    }
  }
  const isNegative = negated || op === '!=';
  return (record) => {
    const value = attr.get(record);
    if (value === null) return null;
    const hit = Array.isArray(value) ? value.some(test) : test(value);
    return isNegative ? !hit : hit;
  };
}

const and =
  (l: Predicate, r: Predicate): Predicate =>
  (rec) => {
    const a = l(rec);
    if (a === false) return false;
    const b = r(rec);
    if (b === false) return false;
    return a === null || b === null ? null : true;
  };
const or =
  (l: Predicate, r: Predicate): Predicate =>
  (rec) => {
    const a = l(rec);
    if (a === true) return true;
    const b = r(rec);
    if (b === true) return true;
    return a === null || b === null ? null : false;
  };
const not =
  (p: Predicate): Predicate =>
  (rec) => {
    const a = p(rec);
    return a === null ? null : !a;
  };

// ---------------------------------------------------------------------------------------------------------
// Parser

interface SortKey {
  attr: AttributeRef;
  descending: boolean;
}

class Parser {
  private index = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly registry: SearchAttributeRegistry,
  ) {}

  parseQuery(): { where: Predicate | undefined; groupBy: string[]; orderBy: SortKey[] } {
    let where: Predicate | undefined;
    if (!this.isKeyword('ORDER') && !this.isKeyword('GROUP') && this.peek().kind !== 'eof') {
      where = this.parseOr();
    }
    const groupBy: string[] = [];
    let orderBy: SortKey[] = [];
    let sawGroup = false;
    let sawOrder = false;
    while (this.peek().kind !== 'eof') {
      if (this.isKeyword('GROUP') && !sawGroup) {
        sawGroup = true;
        this.next();
        this.expectKeyword('BY');
        do {
          const token = this.expectIdent('an attribute name after GROUP BY');
          const attr = resolveAttribute(token, this.registry);
          if (attr.name !== 'ExecutionStatus') {
            throw fail(`GROUP BY is only supported for ExecutionStatus, not '${attr.name}'`, token.pos);
          }
          groupBy.push(attr.name);
        } while (this.accept('comma'));
      } else if (this.isKeyword('ORDER') && !sawOrder) {
        sawOrder = true;
        this.next();
        this.expectKeyword('BY');
        orderBy = this.parseOrderBy();
      } else {
        const token = this.peek();
        throw fail(
          `unexpected '${token.text}'; expected AND, OR, GROUP BY, ORDER BY or the end of the query`,
          token.pos,
        );
      }
    }
    return { where, groupBy, orderBy };
  }

  private parseOrderBy(): SortKey[] {
    const keys: SortKey[] = [];
    do {
      const token = this.expectIdent('an attribute name after ORDER BY');
      const attr = resolveAttribute(token, this.registry);
      if (attr.type === 'Text' || attr.type === 'KeywordList') {
        throw fail(`cannot ORDER BY ${attr.type} attribute ${attr.name}`, token.pos);
      }
      let descending = false;
      if (this.isKeyword('DESC')) {
        this.next();
        descending = true;
      } else if (this.isKeyword('ASC')) {
        this.next();
      }
      keys.push({ attr, descending });
    } while (this.accept('comma'));
    return keys;
  }

  private parseOr(): Predicate {
    let left = this.parseAnd();
    while (this.isKeyword('OR')) {
      this.next();
      left = or(left, this.parseAnd());
    }
    return left;
  }

  private parseAnd(): Predicate {
    let left = this.parseNot();
    while (this.isKeyword('AND')) {
      this.next();
      left = and(left, this.parseNot());
    }
    return left;
  }

  private parseNot(): Predicate {
    if (this.isKeyword('NOT')) {
      this.next();
      return not(this.parseNot());
    }
    if (this.accept('lparen')) {
      const inner = this.parseOr();
      this.expect('rparen', `')'`);
      return inner;
    }
    return this.parsePredicate();
  }

  private parsePredicate(): Predicate {
    const attrToken = this.expectIdent('a search attribute name');
    const attr = resolveAttribute(attrToken, this.registry);
    const opToken = this.peek();

    if (opToken.kind === 'op') {
      this.next();
      const literal = this.parseLiteral();
      return buildPredicate(
        attr,
        opToken.text === '!=' ? '!=' : (opToken.text as Operator),
        [literal],
        false,
        opToken,
      );
    }
    if (this.isKeyword('IS')) {
      this.next();
      const negated = this.isKeyword('NOT');
      if (negated) this.next();
      this.expectKeyword('NULL');
      return (record) => (attr.get(record) === null) !== negated;
    }
    const negated = this.isKeyword('NOT');
    if (negated) this.next();
    if (this.isKeyword('IN')) {
      this.next();
      this.expect('lparen', `'(' after IN`);
      const literals = [this.parseLiteral()];
      while (this.accept('comma')) literals.push(this.parseLiteral());
      this.expect('rparen', `')' to close the IN list`);
      return buildPredicate(attr, 'IN', literals, negated, opToken);
    }
    if (this.isKeyword('BETWEEN')) {
      this.next();
      const low = this.parseLiteral();
      this.expectKeyword('AND');
      const high = this.parseLiteral();
      return buildPredicate(attr, 'BETWEEN', [low, high], negated, opToken);
    }
    if (this.isKeyword('STARTS_WITH')) {
      this.next();
      return buildPredicate(attr, 'STARTS_WITH', [this.parseLiteral()], negated, opToken);
    }
    const found = this.peek();
    throw fail(
      `expected an operator (=, !=, <, <=, >, >=, IN, NOT IN, BETWEEN, STARTS_WITH, IS NULL) after '${attr.name}', ` +
        `found ${found.kind === 'eof' ? 'the end of the query' : `'${found.text}'`}`,
      found.pos,
    );
  }

  private parseLiteral(): Literal {
    const token = this.next();
    if (token.kind === 'string') return { kind: 'string', value: token.text, pos: token.pos };
    if (token.kind === 'number')
      return { kind: 'number', value: Number(token.text), text: token.text, pos: token.pos };
    if (token.kind === 'ident' && !token.quoted) {
      const upper = token.text.toUpperCase();
      if (upper === 'TRUE' || upper === 'FALSE')
        return { kind: 'bool', value: upper === 'TRUE', pos: token.pos };
      if (upper === 'NULL') throw fail(`compare with NULL using IS NULL or IS NOT NULL`, token.pos);
    }
    throw fail(
      `expected a value (a quoted string, number, true or false), found ` +
        `${token.kind === 'eof' ? 'the end of the query' : `'${token.text}'`}`,
      token.pos,
    );
  }

  private peek(): Token {
    return this.tokens[this.index] as Token;
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'eof') this.index++;
    return token;
  }

  private accept(kind: TokenKind): boolean {
    if (this.peek().kind !== kind) return false;
    this.next();
    return true;
  }

  private expect(kind: TokenKind, what: string): Token {
    const token = this.peek();
    if (token.kind !== kind) {
      throw fail(
        `expected ${what}, found ${token.kind === 'eof' ? 'the end of the query' : `'${token.text}'`}`,
        token.pos,
      );
    }
    return this.next();
  }

  private isKeyword(word: string): boolean {
    const token = this.peek();
    return token.kind === 'ident' && !token.quoted && token.text.toUpperCase() === word;
  }

  private expectKeyword(word: string): void {
    if (!this.isKeyword(word)) {
      const token = this.peek();
      throw fail(
        `expected ${word}, found ${token.kind === 'eof' ? 'the end of the query' : `'${token.text}'`}`,
        token.pos,
      );
    }
    this.next();
  }

  private expectIdent(what: string): Token {
    const token = this.peek();
    const reserved = [
      'AND',
      'OR',
      'NOT',
      'IN',
      'IS',
      'BETWEEN',
      'STARTS_WITH',
      'ORDER',
      'GROUP',
      'BY',
      'NULL',
    ];
    if (token.kind !== 'ident' || (!token.quoted && reserved.includes(token.text.toUpperCase()))) {
      throw fail(
        `expected ${what}, found ${token.kind === 'eof' ? 'the end of the query' : `'${token.text}'`}`,
        token.pos,
      );
    }
    return this.next();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Ordering

function compareFieldValues(a: FieldValue, b: FieldValue, descending: boolean): number {
  // Runs without the attribute sort last in either direction (Elasticsearch's default "missing: _last").
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  const c = compareScalars(Array.isArray(a) ? a.join(',') : a, Array.isArray(b) ? b.join(',') : b);
  return descending ? -c : c;
}

function buildComparator(
  keys: SortKey[],
  registry: SearchAttributeRegistry,
): CompiledVisibilityQuery['compare'] {
  const sortKeys =
    keys.length > 0 ? [...keys] : [{ attr: systemRef('StartTime', registry), descending: true }];
  // A total order keeps pagination stable when keys tie.
  if (!sortKeys.some((k) => k.attr.name === 'RunId'))
    sortKeys.push({ attr: systemRef('RunId', registry), descending: false });
  return (a, b) => {
    for (const { attr, descending } of sortKeys) {
      const c = compareFieldValues(attr.get(a), attr.get(b), descending);
      if (c !== 0) return c;
    }
    return 0;
  };
}

function systemRef(name: string, registry: SearchAttributeRegistry): AttributeRef {
  return resolveAttribute({ kind: 'ident', text: name, quoted: true, pos: 0 }, registry);
}

/**
 * Compiles a List Filter query (the `query` field of ListWorkflowExecutions / CountWorkflowExecutions) into a
 * matcher and comparator over {@link VisibilityRecord}s. An empty or blank query matches every run.
 *
 * Attribute types come from the system and predefined attributes plus `registry` (the namespace's custom
 * attributes); literals are checked against them here, so a typo fails the request instead of matching nothing.
 *
 * @throws VisibilityQueryError with a message starting "invalid query:" that names the offending attribute,
 *   operator or token and its 1-based position. Callers should answer INVALID_ARGUMENT with it.
 */
export function compileVisibilityQuery(
  query: string,
  registry: SearchAttributeRegistry,
): CompiledVisibilityQuery {
  const { where, groupBy, orderBy } = new Parser(tokenize(query), registry).parseQuery();
  const compare = buildComparator(orderBy, registry);
  return {
    matches: where ? (record) => where(record) === true : () => true,
    compare,
    groupBy,
  };
}
