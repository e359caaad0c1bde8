/** A bad flag, setting or input: reported as one line naming the setting, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
