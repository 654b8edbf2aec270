/** Where a command writes: injectable so tests can run commands in-process, and so output is in one place. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  /** Whether stderr is a terminal (progress bars redraw in place only then). */
  readonly isTTY: boolean;
  readonly env: NodeJS.ProcessEnv;
}

export function processIO(): CliIO {
  // `convkit … | head`: the reader went away; stop quietly like other Unix tools.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(0);
      throw e;
    });
  }
  return {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
    isTTY: process.stderr.isTTY === true,
    env: process.env,
  };
}
