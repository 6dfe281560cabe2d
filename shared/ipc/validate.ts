// Hand-written runtime validators for call arguments. Arguments come from a
// renderer or a browser, so main treats them as hostile: every call's args go
// through one of these before a handler sees them.
//
// A validator returns a fresh value built from the input (objects are rebuilt
// key by key), so a handler never holds the caller's object, its prototype or
// any key the contract does not name.

export type Validation<T> = { ok: true; value: T } | { ok: false; message: string };
export type Validator<T> = (value: unknown, path?: string) => Validation<T>;

const ok = <T>(value: T): Validation<T> => ({ ok: true, value });
const fail = (path: string, message: string): Validation<never> => ({ ok: false, message: `${path}: ${message}` });

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

export function string(opts: { minLength?: number; maxLength: number; pattern?: RegExp }): Validator<string> {
  return (value, path = 'args') => {
    if (typeof value !== 'string') return fail(path, `expected string, got ${describe(value)}`);
    if (value.length < (opts.minLength ?? 0)) return fail(path, `shorter than ${opts.minLength} characters`);
    if (value.length > opts.maxLength) return fail(path, `longer than ${opts.maxLength} characters`);
    if (opts.pattern && !opts.pattern.test(value)) return fail(path, 'has an invalid format');
    return ok(value);
  };
}

export function integer(opts: { min: number; max: number }): Validator<number> {
  return (value, path = 'args') => {
    if (typeof value !== 'number' || !Number.isInteger(value)) return fail(path, `expected integer, got ${describe(value)}`);
    if (value < opts.min || value > opts.max) return fail(path, `out of range ${opts.min}..${opts.max}`);
    return ok(value);
  };
}

export const boolean: Validator<boolean> = (value, path = 'args') =>
  typeof value === 'boolean' ? ok(value) : fail(path, `expected boolean, got ${describe(value)}`);

export function oneOf<const T extends readonly (string | number)[]>(...options: T): Validator<T[number]> {
  return (value, path = 'args') =>
    options.includes(value as T[number])
      ? ok(value as T[number])
      : fail(path, `expected one of ${options.map((o) => JSON.stringify(o)).join(', ')}`);
}

/** A list of at most maxLength items, each checked (and rebuilt) by `item`. */
export function array<T>(item: Validator<T>, opts: { maxLength: number; minLength?: number }): Validator<T[]> {
  return (value, path = 'args') => {
    if (!Array.isArray(value)) return fail(path, `expected array, got ${describe(value)}`);
    if (value.length < (opts.minLength ?? 0)) return fail(path, `fewer than ${opts.minLength} items`);
    if (value.length > opts.maxLength) return fail(path, `more than ${opts.maxLength} items`);
    const out: T[] = [];
    for (let i = 0; i < value.length; i++) {
      const r = item(value[i], `${path}[${i}]`);
      if (!r.ok) return r;
      out.push(r.value);
    }
    return ok(out);
  };
}

/** Marks an object field as optional (absent or undefined both allowed). */
export interface Optional<T> {
  optional: Validator<T>;
}
export const optional = <T>(v: Validator<T>): Optional<T> => ({ optional: v });

type Shape = Record<string, Validator<unknown> | Optional<unknown>>;
type Out<S extends Shape> = {
  [K in keyof S as S[K] extends Optional<unknown> ? never : K]: S[K] extends Validator<infer T> ? T : never;
} & {
  [K in keyof S as S[K] extends Optional<unknown> ? K : never]?: S[K] extends Optional<infer T> ? T : never;
};

/** An exact object: unknown keys are rejected, not ignored, so a typo is an error rather than a silent no-op. */
export function object<S extends Shape>(shape: S): Validator<{ [K in keyof Out<S>]: Out<S>[K] }> {
  const known = new Set(Object.keys(shape));
  return (value, path = 'args') => {
    if (!isPlainObject(value)) return fail(path, `expected object, got ${describe(value)}`);
    for (const key of Object.keys(value)) {
      if (!known.has(key)) return fail(path, `unknown field ${JSON.stringify(key)}`);
    }
    const out: Record<string, unknown> = {};
    for (const [key, spec] of Object.entries(shape)) {
      const isOpt = typeof spec === 'object';
      const field = Object.prototype.hasOwnProperty.call(value, key) ? value[key] : undefined;
      if (field === undefined && isOpt) continue;
      const r = (isOpt ? spec.optional : spec)(field, `${path}.${key}`);
      if (!r.ok) return r;
      out[key] = r.value;
    }
    return ok(out as { [K in keyof Out<S>]: Out<S>[K] });
  };
}

/** Args of a call that takes none: the callers always send `{}`. */
export type NoArgs = Record<string, never>;
export const noArgs: Validator<NoArgs> = object({}) as Validator<NoArgs>;
