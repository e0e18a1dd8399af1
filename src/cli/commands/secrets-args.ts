import type { Environment } from '@clavis/sdk';
import { InvalidArgumentError } from 'commander';

/** The environment argument of the secrets commands. */
export function environmentArg(value: string): Environment {
  if (value !== 'live' && value !== 'test' && value !== 'dev') throw new InvalidArgumentError(`expected live, test or dev, got "${value}"`);
  return value;
}
