/**
 * JSON as Python's `json` module writes and reads it: the dialect of Optuna's journal.
 *
 * Python's `json.dumps` writes the non-standard tokens `NaN`, `Infinity` and `-Infinity` (which `JSON.parse`
 * rejects and `JSON.stringify` would turn into `null`), separates with `", "` and `": "`, escapes every non-ASCII
 * character as `\uXXXX`, and writes a float with a fractional part (`6.0`, `1e-05`, `1e+16`). This module reads
 * that dialect and writes it byte for byte.
 */

/** A JSON value as Python's `json` reads it (numbers include NaN and ±Infinity). */
export type PythonJsonValue = null | boolean | number | string | PythonJsonValue[] | { [key: string]: PythonJsonValue };

/** A number to write as a Python float (`6.0`, not `6`). Built by {@link pyFloat}. */
export class PythonFloat {
  constructor(readonly value: number) {}
}

/** Marks `x` to be written as a Python float: `pyFloat(6)` is written `6.0`, `pyFloat(NaN)` `NaN`. */
export function pyFloat(x: number): PythonFloat {
  return new PythonFloat(x);
}

/** What {@link dumpPythonJson} writes: JSON values, with {@link PythonFloat} where a float is meant. */
export type PythonJsonInput =
  | null
  | boolean
  | number
  | string
  | PythonFloat
  | readonly PythonJsonInput[]
  | { readonly [key: string]: PythonJsonInput | undefined };

/**
 * `repr(float(x))` in Python: the shortest round-trip digits, written in fixed notation for decimal exponents in
 * [-4, 16) (with `.0` when integral) and in scientific notation otherwise (`1e-05`, `1.5e+16`).
 */
export function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Number.POSITIVE_INFINITY) return 'Infinity';
  if (x === Number.NEGATIVE_INFINITY) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  // toExponential() with no argument gives the shortest digits that round-trip, as Python's repr does.
  const [mant, expStr] = Math.abs(x).toExponential().split('e') as [string, string];
  const exp = Number(expStr);
  const digits = mant.replace('.', '');
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp).toString().padStart(2, '0');
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${e}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const intLen = exp + 1;
  if (digits.length <= intLen) return `${sign}${digits}${'0'.repeat(intLen - digits.length)}.0`;
  return `${sign}${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
}

function dumpString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else if (c < 0x20 || c > 0x7e) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += s[i];
  }
  return `${out}"`;
}

/**
 * `json.dumps(value)` in Python (default arguments: `ensure_ascii=True`, separators `", "` and `": "`). A plain
 * number is written as an int when it is an integer and as a float otherwise; wrap it in {@link pyFloat} to force a
 * float. Object keys keep their insertion order; `undefined` members are left out.
 */
export function dumpPythonJson(value: PythonJsonInput): string {
  if (value === null) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'string') return dumpString(value);
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && !Object.is(value, -0) ? String(value) : pythonFloatRepr(value);
  }
  if (value instanceof PythonFloat) return pythonFloatRepr(value.value);
  if (Array.isArray(value)) return `[${value.map((v) => dumpPythonJson(v)).join(', ')}]`;
  const parts: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    if (v !== undefined) parts.push(`${dumpString(k)}: ${dumpPythonJson(v)}`);
  }
  return `{${parts.join(', ')}}`;
}

/** Thrown (as a plain `SyntaxError`) by {@link parsePythonJson}, with the character offset of the fault. */
function fail(text: string, pos: number, what: string): never {
  throw new SyntaxError(`${what} at position ${pos} of ${JSON.stringify(text.slice(0, 80))}`);
}

/**
 * `json.loads(text)` in Python: standard JSON plus `NaN`, `Infinity` and `-Infinity`. Throws a `SyntaxError` on
 * anything else (trailing text included).
 */
export function parsePythonJson(text: string): PythonJsonValue {
  let pos = 0;
  const ws = () => {
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) pos++;
      else break;
    }
  };
  const lit = (word: string) => {
    if (text.startsWith(word, pos)) {
      pos += word.length;
      return true;
    }
    return false;
  };
  const parseString = (): string => {
    pos++; // opening quote
    let out = '';
    let start = pos;
    while (true) {
      if (pos >= text.length) fail(text, pos, 'unterminated string');
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        out += text.slice(start, pos);
        pos++;
        return out;
      }
      if (c < 0x20) fail(text, pos, 'control character in string');
      if (c === 0x5c) {
        out += text.slice(start, pos);
        const e = text[pos + 1];
        const simple: Record<string, string> = {
          '"': '"',
          '\\': '\\',
          '/': '/',
          b: '\b',
          f: '\f',
          n: '\n',
          r: '\r',
          t: '\t',
        };
        if (e !== undefined && e in simple) {
          out += simple[e];
          pos += 2;
        } else if (e === 'u') {
          const hex = text.slice(pos + 2, pos + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail(text, pos, 'bad \\u escape');
          out += String.fromCharCode(Number.parseInt(hex, 16));
          pos += 6;
        } else fail(text, pos, 'bad escape');
        start = pos;
      } else pos++;
    }
  };
  const parseValue = (): PythonJsonValue => {
    ws();
    const c = text[pos];
    if (c === '{') {
      pos++;
      const obj: { [key: string]: PythonJsonValue } = {};
      ws();
      if (text[pos] === '}') {
        pos++;
        return obj;
      }
      while (true) {
        ws();
        if (text[pos] !== '"') fail(text, pos, 'expected a key');
        const key = parseString();
        ws();
        if (text[pos] !== ':') fail(text, pos, "expected ':'");
        pos++;
        // Define rather than assign, so a key such as "__proto__" stays an ordinary member.
        Object.defineProperty(obj, key, { value: parseValue(), enumerable: true, writable: true, configurable: true });
        ws();
        if (text[pos] === ',') pos++;
        else if (text[pos] === '}') {
          pos++;
          return obj;
        } else fail(text, pos, "expected ',' or '}'");
      }
    }
    if (c === '[') {
      pos++;
      const arr: PythonJsonValue[] = [];
      ws();
      if (text[pos] === ']') {
        pos++;
        return arr;
      }
      while (true) {
        arr.push(parseValue());
        ws();
        if (text[pos] === ',') pos++;
        else if (text[pos] === ']') {
          pos++;
          return arr;
        } else fail(text, pos, "expected ',' or ']'");
      }
    }
    if (c === '"') return parseString();
    if (lit('null')) return null;
    if (lit('true')) return true;
    if (lit('false')) return false;
    if (lit('NaN')) return Number.NaN;
    if (lit('Infinity')) return Number.POSITIVE_INFINITY;
    if (lit('-Infinity')) return Number.NEGATIVE_INFINITY;
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(pos, pos + 400));
    if (!m) fail(text, pos, 'unexpected token');
    pos += m[0].length;
    return Number(m[0]);
  };
  const v = parseValue();
  ws();
  if (pos !== text.length) fail(text, pos, 'trailing text');
  return v;
}
