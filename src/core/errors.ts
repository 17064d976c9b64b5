/**
 * Domain errors: problems with what the user gave nanhunt (a flag, a file, a baseline, a backend
 * name), as opposed to findings about the code under test.
 *
 * Every layer throws these; only the CLI decides what they mean for the process: an
 * {@link InputError} is printed as one line and exits with code 2. Library callers catch them by
 * class. Messages are one line and say what to do.
 */

/** Something the user supplied cannot be used. The CLI prints `nanhunt: <message>` and exits 2. */
export class InputError extends Error {
  override name = 'InputError';
  /** Whether the CLI should add "Run 'nanhunt --help' for usage." (false for problems inside files). */
  readonly showUsage: boolean = false;
}
