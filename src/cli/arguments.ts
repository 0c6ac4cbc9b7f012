import { InvalidArgumentError } from 'commander';

/** A commander argument parser for a whole number in [min, max]; anything else is a usage error. */
export function integerBetween(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`give a whole number from ${min} to ${max}`);
    return n;
  };
}
