// Module hooks that make vitest unloadable, as in an app that runs node:test or Jest.
export async function resolve(specifier, context, next) {
  if (specifier === 'vitest' || specifier.startsWith('vitest/') || specifier.startsWith('@vitest/'))
    throw new Error(`"${specifier}" is blocked: this process has no vitest`);
  return next(specifier, context);
}
