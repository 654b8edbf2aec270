/**
 * Exit codes scripts can rely on (documented in docs/CLI.md and `convkit --help`):
 *   0  success
 *   1  runtime failure: a bad or missing file, a model that cannot run, training diverged, …
 *   2  usage error: unknown command or option, a missing or malformed argument
 * 130 interrupted by Ctrl-C before anything could be saved (128 + SIGINT, the shell convention)
 */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

/** The user called a command wrongly; the message says what was expected. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
