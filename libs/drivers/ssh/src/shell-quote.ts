/**
 * Quote one word for a POSIX shell: safe words stay as they are, everything else goes in single
 * quotes. Use it for every value interpolated into a remote command line. Never for secrets:
 * those go on stdin.
 */
export function shellQuote(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A command line from words, each quoted with {@link shellQuote}. */
export function shellCommand(...words: string[]): string {
  return words.map(shellQuote).join(' ');
}
