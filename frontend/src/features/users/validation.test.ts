import { describe, expect, it } from 'vitest';

import { newUserProblems } from './validation';

describe('newUserProblems', () => {
  it('accepts a valid username and password', () => {
    expect(newUserProblems('ops.desk@x', 'long enough pass')).toEqual({});
  });

  it('names both fields at once', () => {
    expect(newUserProblems('bad name!', 'short')).toEqual({
      username: 'may only contain letters, digits and _ . @ -',
      password: 'must be at least 10 characters',
    });
  });

  it('checks lengths, blank passwords and a password equal to the username', () => {
    expect(newUserProblems('ab', 'long enough pass').username).toBe('must be 3–64 characters long');
    expect(newUserProblems('a'.repeat(65), 'long enough pass').username).toBe('must be 3–64 characters long');
    expect(newUserProblems('trader01', ' '.repeat(12)).password).toBe('must not be blank');
    expect(newUserProblems('Trader0001', 'trader0001').password).toBe('must differ from the username');
    expect(newUserProblems('trader01', 'x'.repeat(257)).password).toBe('must be at most 256 characters');
  });
});
