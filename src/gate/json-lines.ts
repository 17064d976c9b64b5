/**
 * A small JSON parser that remembers the line of every value, so an error in a hand-edited file
 * (a syntax error, or a well-formed entry with a wrong field) can name the line it is on.
 * It accepts exactly RFC 8259 JSON; `JSON.parse` gives no line numbers.
 */

/** A parsed JSON value with the 1-based line and column where it starts. */
export type Located =
  | { readonly kind: 'object'; readonly line: number; readonly column: number; readonly entries: readonly LocatedEntry[] }
  | { readonly kind: 'array'; readonly line: number; readonly column: number; readonly items: readonly Located[] }
  | { readonly kind: 'string'; readonly line: number; readonly column: number; readonly value: string }
  | { readonly kind: 'number'; readonly line: number; readonly column: number; readonly value: number }
  | { readonly kind: 'boolean'; readonly line: number; readonly column: number; readonly value: boolean }
  | { readonly kind: 'null'; readonly line: number; readonly column: number; readonly value: null };

export interface LocatedEntry {
  readonly key: string;
  readonly line: number;
  readonly value: Located;
}

/** A syntax error at a line and column (both 1-based). */
export class JsonSyntaxError extends Error {
  override name = 'JsonSyntaxError';
  constructor(
    readonly reason: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`line ${line}, column ${column}: ${reason}`);
  }
}

const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** Parse JSON text into located values. Throws {@link JsonSyntaxError}. */
export function parseLocated(text: string): Located {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // a byte-order mark some editors add
  let line = 1;
  let lineStart = i;
  const col = () => i - lineStart + 1;
  const fail = (reason: string): never => {
    throw new JsonSyntaxError(reason, line, col());
  };
  const describe = (): string => (i >= text.length ? 'end of file' : `'${text[i]}'`);
  const skipSpace = () => {
    while (i < text.length) {
      const c = text[i];
      if (c === '\n') {
        line++;
        lineStart = i + 1;
      } else if (c !== ' ' && c !== '\t' && c !== '\r') break;
      i++;
    }
  };
  const expect = (c: string, what: string) => {
    skipSpace();
    if (text[i] !== c) fail(`expected ${what}, found ${describe()}`);
    i++;
  };
  const parseString = (): string => {
    // at the opening quote
    i++;
    let out = '';
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const c = text[i]!;
      if (c === '"') {
        i++;
        return out;
      }
      if (c === '\n' || c.charCodeAt(0) < 0x20) fail('control character or line break inside a string');
      if (c === '\\') {
        const e = text[i + 1];
        if (e === 'u') {
          const hex = text.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad \\u escape in a string');
          out += String.fromCharCode(parseInt(hex, 16));
          i += 6;
        } else if (e !== undefined && Object.hasOwn(ESCAPES, e)) {
          out += ESCAPES[e];
          i += 2;
        } else fail(`bad escape '\\${e ?? ''}' in a string`);
        continue;
      }
      out += c;
      i++;
    }
  };
  const parseValue = (): Located => {
    skipSpace();
    const at = { line, column: col() };
    const c = text[i];
    if (c === '{') {
      i++;
      const entries: LocatedEntry[] = [];
      const keys = new Set<string>();
      skipSpace();
      if (text[i] === '}') {
        i++;
        return { kind: 'object', ...at, entries };
      }
      for (;;) {
        skipSpace();
        if (text[i] !== '"') fail(`expected a "quoted" key, found ${describe()}`);
        const keyLine = line;
        const key = parseString();
        if (keys.has(key)) throw new JsonSyntaxError(`duplicate key "${key}"`, keyLine, col());
        keys.add(key);
        expect(':', `':' after key "${key}"`);
        entries.push({ key, line: keyLine, value: parseValue() });
        skipSpace();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return { kind: 'object', ...at, entries };
        }
        fail(`expected ',' or '}' after the value of "${key}", found ${describe()}`);
      }
    }
    if (c === '[') {
      i++;
      const items: Located[] = [];
      skipSpace();
      if (text[i] === ']') {
        i++;
        return { kind: 'array', ...at, items };
      }
      for (;;) {
        items.push(parseValue());
        skipSpace();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return { kind: 'array', ...at, items };
        }
        fail(`expected ',' or ']' in a list, found ${describe()}`);
      }
    }
    if (c === '"') return { kind: 'string', ...at, value: parseString() };
    const m = /^(-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i, i + 400));
    if (m && (c === '-' || (c !== undefined && c >= '0' && c <= '9'))) {
      i += m[1]!.length;
      return { kind: 'number', ...at, value: Number(m[1]) };
    }
    for (const [word, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return value === null ? { kind: 'null', ...at, value } : { kind: 'boolean', ...at, value };
      }
    }
    return fail(`expected a value, found ${describe()}`);
  };
  const value = parseValue();
  skipSpace();
  if (i < text.length) fail(`unexpected ${describe()} after the end of the document`);
  return value;
}
