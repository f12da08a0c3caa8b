import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { exitCodeOf, oneLine, UsageError } from '../../../src/cli/errors.js';
import { ConfigError } from '../../../src/config/index.js';
import {
  ActionRefusedError,
  CompareNotRecordedError,
  ConcurrentChangeError,
  InvalidInputError,
  NoHistoryError,
  UnknownTenantError,
} from '../../../src/release/index.js';
import { StoreError } from '../../../src/store/index.js';

describe('exitCodeOf', () => {
  it('is 1 for an action the state refused or that raced a change: the command worked and said no', () => {
    expect(exitCodeOf(new ActionRefusedError('acme', 'approve', 'the state is REPLICATING'))).toBe(1);
    expect(exitCodeOf(new ConcurrentChangeError('acme', 'abort'))).toBe(1);
  });

  it('is 2 for what stops a command: bad input, an unknown tenant, a store or file that cannot be read', () => {
    const codes = [
      new InvalidInputError([{ path: 'actor', message: 'actor is required' }]),
      new UnknownTenantError('nobody'),
      new NoHistoryError('acme'),
      new CompareNotRecordedError('acme', { checked: 1, mismatches: 0 }),
      new UsageError('--now: "soon" is not a time'),
      new ConfigError('soakwatch.yml', [{ path: '', message: 'cannot read the file (ENOENT)' }]),
      new StoreError('could not connect to the state store', { operation: 'connect' }),
      new Error('anything else'),
    ].map(exitCodeOf);

    expect(codes).toEqual([2, 2, 2, 2, 2, 2, 2, 2]);
  });

  it('follows commander: 0 after --help or --version, 2 for a command line it refused', () => {
    expect(exitCodeOf(new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'))).toBe(0);
    expect(exitCodeOf(new CommanderError(1, 'commander.missingMandatoryOptionValue', 'missing'))).toBe(2);
  });
});

describe('oneLine', () => {
  it("adds the cause's message and hides a URL's password", () => {
    const error = new UsageError('cannot connect to the state store redis://:pw@10.0.0.1:6379', {
      cause: new Error('connect ECONNREFUSED 10.0.0.1:6379'),
    });

    expect(oneLine(error)).toBe(
      'cannot connect to the state store redis://***@10.0.0.1:6379: connect ECONNREFUSED 10.0.0.1:6379',
    );
  });
});
