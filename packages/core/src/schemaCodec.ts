import { json, type Codec, type DecodeContext } from './codec.js';
import { InvalidOptionError, ValidationError, type ValidationIssue } from './errors.js';
import { rejectUnknownOptions } from './options.js';
import type { InferOutput, StandardIssue, StandardResult, StandardSchemaV1 } from './standardSchema.js';

/** Options of {@link schemaCodec}. */
export interface SchemaCodecOptions {
  /** Turns the payload into the value the schema checks. @default json */
  readonly codec?: Codec<unknown>;
  /** The codec's name in errors and dead letters. @default `${vendor} schema` (e.g. `zod schema`) */
  readonly name?: string;
}

/**
 * A codec that decodes with `options.codec` (JSON by default) and then validates with any
 * Standard Schema (zod 4, valibot, arktype, …); the body's type is the schema's output type. A
 * body that fails is dead-lettered at once with reason `invalid` and a {@link ValidationError}
 * naming each issue's path and message — never the offending value (a `received "…"` that a
 * library puts in its message is cut out) — and the stream goes on.
 *
 * A synchronous schema keeps decoding synchronous; an asynchronous one (async refinements) makes
 * the source await each body before it emits it, in order.
 *
 * @example
 * const Order = z.object({ id: z.string(), qty: z.number().int().positive() });
 * fromQueue(redis('orders'), { codec: schemaCodec(Order) }) // QueueObservable<{ id: string; qty: number }>
 */
export function schemaCodec<S extends StandardSchemaV1>(
  schema: S,
  options: SchemaCodecOptions = {},
): Codec<InferOutput<S>> {
  const standard = (schema as Partial<StandardSchemaV1> | null | undefined)?.['~standard'];
  if (typeof standard?.validate !== 'function')
    throw new InvalidOptionError('schema', 'a Standard Schema (an object with ~standard.validate)', schema);
  rejectUnknownOptions(options, ['codec', 'name']);
  const base = options.codec ?? json;
  if (typeof base.decode !== 'function') throw new InvalidOptionError('codec', 'a Codec', base);
  const name = options.name ?? `${standard.vendor} schema`;
  type Out = InferOutput<S>;
  const finish = (result: StandardResult<Out>): Out => {
    if (result.issues) throw new ValidationError(name, result.issues.map(toIssue));
    return result.value;
  };
  const check = (value: unknown): Out | Promise<Out> => {
    const result = standard.validate(value);
    return result instanceof Promise ? result.then(finish) : finish(result);
  };
  return {
    name,
    decode(payload: unknown, headers: Readonly<Record<string, string>>, context?: DecodeContext) {
      const value = base.decode(payload, headers, context);
      return value instanceof Promise ? value.then(check) : check(value);
    },
    encode: (body: Out) => base.encode(body),
  };
}

function toIssue(issue: StandardIssue): ValidationIssue {
  const path = (issue.path ?? [])
    .map((segment) => String(typeof segment === 'object' && segment !== null ? segment.key : segment))
    .join('.');
  return { path, message: scrub(String(issue.message)) };
}

/**
 * Cuts the received value out of a message (valibot writes `… but received "secret"`), keeping
 * a type name (`received string`, zod's style) where that is all there is.
 */
function scrub(message: string): string {
  return message
    .replace(
      /\breceived\s+("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`|[-+]?\d[\w.+-]*)/gi,
      'received a value',
    )
    .slice(0, 300);
}
