/**
 * The subset of POSIX shell syntax the lab hosts understand in an SSH `exec` request: words with
 * quotes and escapes, `$VAR`/`${VAR}`/`$?`, `NAME=value cmd`, `;` `&&` `||` `|`, newlines, comments,
 * and the redirections `>` `>>` `<` `2>` `2>>` `2>&1` `>&2` `&>`. Anything else (command
 * substitution, here-documents, subshells, control flow, background jobs) is refused with a
 * {@link ShellSyntaxError} naming the construct, rather than being misread.
 */

/** A piece of a word: literal text (quoted or not) or a variable reference expanded at run time. */
export type WordPart =
  { kind: 'text'; text: string; quoted: boolean } | { kind: 'var'; name: string; quoted: boolean };

export type Word = WordPart[];

export interface Redirect {
  /** File descriptor redirected: 0 stdin, 1 stdout, 2 stderr; `both` for `&>`. */
  fd: 0 | 1 | 2 | 'both';
  /** `>` truncate, `>>` append, `<` read, `dup` copies another descriptor (`2>&1`). */
  mode: '>' | '>>' | '<' | 'dup';
  /** The file for `>`/`>>`/`<`; for `dup` the target descriptor as a one-part word ("1" or "2"). */
  target: Word;
}

export interface SimpleCommand {
  /** `NAME=value` words before the command name. */
  assignments: Array<{ name: string; value: Word }>;
  words: Word[];
  redirects: Redirect[];
}

/** Commands joined by `|`. */
export type Pipeline = SimpleCommand[];

/** A pipeline and the operator that decides whether it runs after the previous one. */
export interface ListItem {
  /** `;` (or newline) always runs; `&&` only after success; `||` only after failure. */
  connector: ';' | '&&' | '||';
  pipeline: Pipeline;
}

export class ShellSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShellSyntaxError';
  }
}

type Token =
  | { type: 'word'; word: Word }
  | { type: 'op'; op: ';' | '&&' | '||' | '|' }
  | { type: 'redirect'; fd: Redirect['fd']; mode: Redirect['mode'] };

const CONTROL_KEYWORDS = new Set([
  'if',
  'then',
  'fi',
  'for',
  'while',
  'until',
  'do',
  'done',
  'case',
  'esac',
  'function',
]);

/** Parse a command line into a list of pipelines. Throws {@link ShellSyntaxError}. */
export function parseShell(source: string): ListItem[] {
  const tokens = tokenize(source);
  const items: ListItem[] = [];
  let connector: ListItem['connector'] = ';';
  let pipeline: Pipeline = [];
  let command: SimpleCommand | undefined;
  let pendingRedirect: { fd: Redirect['fd']; mode: Redirect['mode'] } | undefined;

  const finishCommand = (): void => {
    if (pendingRedirect) throw new ShellSyntaxError('syntax error: redirection without a target');
    if (!command) throw new ShellSyntaxError('syntax error: missing command');
    pipeline.push(command);
    command = undefined;
  };
  const finishPipeline = (next: ListItem['connector']): void => {
    finishCommand();
    items.push({ connector, pipeline });
    pipeline = [];
    connector = next;
  };

  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index];
    if (!token) continue;
    if (token.type === 'redirect') {
      if (pendingRedirect) throw new ShellSyntaxError('syntax error near unexpected redirection');
      command ??= { assignments: [], words: [], redirects: [] };
      pendingRedirect = { fd: token.fd, mode: token.mode };
      continue;
    }
    if (token.type === 'word') {
      command ??= { assignments: [], words: [], redirects: [] };
      if (pendingRedirect) {
        command.redirects.push({ ...pendingRedirect, target: token.word });
        pendingRedirect = undefined;
        continue;
      }
      const assignment = command.words.length === 0 ? asAssignment(token.word) : undefined;
      if (assignment) {
        command.assignments.push(assignment);
        continue;
      }
      if (command.words.length === 0) {
        const keyword = literalText(token.word);
        if (keyword !== undefined && CONTROL_KEYWORDS.has(keyword)) {
          throw new ShellSyntaxError(`shell control flow ("${keyword}") is not emulated by the lab`);
        }
      }
      command.words.push(token.word);
      continue;
    }
    if (token.op === ';') {
      // Empty statements (`a;;`, trailing `;` or newlines) are allowed, as in sh.
      if (!command && pipeline.length === 0) continue;
      finishPipeline(';');
      continue;
    }
    if (token.op === '|') {
      finishCommand();
      continue;
    }
    finishPipeline(token.op);
  }
  if (command || pipeline.length > 0) {
    finishPipeline(';');
  } else if (connector !== ';') {
    throw new ShellSyntaxError(`syntax error: unexpected end of input after "${connector}"`);
  }
  return items;
}

/** The word's text when it is a single unquoted literal (used for keywords and descriptor numbers). */
export function literalText(word: Word): string | undefined {
  if (word.length !== 1) return undefined;
  const part = word[0];
  return part && part.kind === 'text' && !part.quoted ? part.text : undefined;
}

function asAssignment(word: Word): { name: string; value: Word } | undefined {
  const first = word[0];
  if (!first || first.kind !== 'text' || first.quoted) return undefined;
  const match = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(first.text);
  if (!match || !match[1]) return undefined;
  const rest = first.text.slice(match[0].length);
  const value: Word = rest ? [{ kind: 'text', text: rest, quoted: false }, ...word.slice(1)] : word.slice(1);
  return { name: match[1], value };
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let word: Word | undefined;
  let i = 0;

  const pushText = (text: string, quoted: boolean): void => {
    word ??= [];
    const last = word[word.length - 1];
    if (last && last.kind === 'text' && last.quoted === quoted) last.text += text;
    else word.push({ kind: 'text', text, quoted });
  };
  const endWord = (): void => {
    if (word) tokens.push({ type: 'word', word });
    word = undefined;
  };
  const readVariable = (quoted: boolean): void => {
    // Called with source[i] === '$'.
    const next = source[i + 1];
    if (next === '(') throw new ShellSyntaxError('command substitution "$(...)" is not emulated by the lab');
    if (next === '{') {
      const close = source.indexOf('}', i + 2);
      if (close < 0) throw new ShellSyntaxError('bad substitution: missing "}"');
      const name = source.slice(i + 2, close);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        throw new ShellSyntaxError(`parameter expansion "\${${name}}" is not emulated by the lab`);
      }
      word ??= [];
      word.push({ kind: 'var', name, quoted });
      i = close + 1;
      return;
    }
    if (next === '?') {
      word ??= [];
      word.push({ kind: 'var', name: '?', quoted });
      i += 2;
      return;
    }
    const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i + 1));
    if (!match) {
      pushText('$', quoted);
      i += 1;
      return;
    }
    word ??= [];
    word.push({ kind: 'var', name: match[0], quoted });
    i += 1 + match[0].length;
  };

  while (i < source.length) {
    const char = source[i] as string;
    const next = source[i + 1];
    if (char === ' ' || char === '\t') {
      endWord();
      i += 1;
    } else if (char === '\n') {
      endWord();
      tokens.push({ type: 'op', op: ';' });
      i += 1;
    } else if (char === '#' && !word) {
      while (i < source.length && source[i] !== '\n') i += 1;
    } else if (char === "'") {
      const close = source.indexOf("'", i + 1);
      if (close < 0) throw new ShellSyntaxError('unexpected end of input while looking for matching "\'"');
      pushText(source.slice(i + 1, close), true);
      i = close + 1;
    } else if (char === '"') {
      word ??= [];
      pushText('', true);
      i += 1;
      for (;;) {
        if (i >= source.length)
          throw new ShellSyntaxError('unexpected end of input while looking for matching """');
        const inner = source[i] as string;
        if (inner === '"') {
          i += 1;
          break;
        }
        if (inner === '\\' && i + 1 < source.length && '$`"\\\n'.includes(source[i + 1] as string)) {
          if (source[i + 1] !== '\n') pushText(source[i + 1] as string, true);
          i += 2;
        } else if (inner === '$') {
          readVariable(true);
        } else if (inner === '`') {
          throw new ShellSyntaxError('command substitution "`...`" is not emulated by the lab');
        } else {
          pushText(inner, true);
          i += 1;
        }
      }
    } else if (char === '\\') {
      if (next === '\n') i += 2;
      else {
        if (next !== undefined) pushText(next, true);
        i += 2;
      }
    } else if (char === '$') {
      readVariable(false);
    } else if (char === '`') {
      throw new ShellSyntaxError('command substitution "`...`" is not emulated by the lab');
    } else if (char === '(' || char === ')') {
      throw new ShellSyntaxError('subshells "( ... )" are not emulated by the lab');
    } else if (char === ';') {
      endWord();
      tokens.push({ type: 'op', op: ';' });
      i += 1;
    } else if (char === '&') {
      endWord();
      if (next === '&') {
        tokens.push({ type: 'op', op: '&&' });
        i += 2;
      } else if (next === '>') {
        tokens.push({ type: 'redirect', fd: 'both', mode: '>' });
        i += 2;
      } else {
        throw new ShellSyntaxError('background jobs ("&") are not emulated by the lab');
      }
    } else if (char === '|') {
      endWord();
      if (next === '|') {
        tokens.push({ type: 'op', op: '||' });
        i += 2;
      } else {
        tokens.push({ type: 'op', op: '|' });
        i += 1;
      }
    } else if (char === '>' || char === '<') {
      // A lone unquoted digit right before the operator names the descriptor (`2>`).
      let fd: Redirect['fd'] = char === '<' ? 0 : 1;
      const current = word ? literalText(word) : undefined;
      if (current === '0' || current === '1' || current === '2') {
        fd = Number(current) as 0 | 1 | 2;
        word = undefined;
      } else {
        endWord();
      }
      if (char === '<') {
        if (next === '<') throw new ShellSyntaxError('here-documents ("<<") are not emulated by the lab');
        tokens.push({ type: 'redirect', fd, mode: '<' });
        i += 1;
      } else if (next === '>') {
        tokens.push({ type: 'redirect', fd, mode: '>>' });
        i += 2;
      } else if (next === '&') {
        const target = source[i + 2];
        if (target !== '1' && target !== '2')
          throw new ShellSyntaxError('only ">&1" and ">&2" are emulated by the lab');
        tokens.push({ type: 'redirect', fd, mode: 'dup' });
        tokens.push({ type: 'word', word: [{ kind: 'text', text: target, quoted: false }] });
        i += 3;
      } else {
        tokens.push({ type: 'redirect', fd, mode: '>' });
        i += 1;
      }
    } else {
      pushText(char, false);
      i += 1;
    }
  }
  endWord();
  return tokens;
}
