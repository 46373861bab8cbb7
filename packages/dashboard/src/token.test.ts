import { describe, expect, it } from 'vitest';
import { bearerOf, tokenMatches } from './token.js';

describe('token', () => {
  it('matches only the exact token', () => {
    expect(tokenMatches('s3cret-token', 's3cret-token')).toBe(true);
    expect(tokenMatches('s3cret-token', 's3cret-tokem')).toBe(false);
    expect(tokenMatches('s3cret-token', 's3cret-token-longer')).toBe(false);
    expect(tokenMatches('s3cret-token', '')).toBe(false);
    expect(tokenMatches('s3cret-token', undefined)).toBe(false);
  });

  it('reads a bearer token from an Authorization header', () => {
    expect(bearerOf('Bearer abc def')).toBe('abc def');
    expect(bearerOf('bearer xyz')).toBe('xyz');
    expect(bearerOf('Basic eHl6')).toBeUndefined();
    expect(bearerOf(undefined)).toBeUndefined();
  });
});
