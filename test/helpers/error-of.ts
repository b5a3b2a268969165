/** The error `fn` throws; fails the test when it throws none. */
export function errorOf(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected an error, got none');
}
