// One line per setup step, so a person watching `npm start` / `npm test` knows where it is.
export function step(what: string, status: string): void {
  console.log(`» ${what}: ${status}`);
}

/** A user-facing failure: one line, exit 2, no stack trace. */
export function fail(message: string): never {
  console.error(`✗ ${message}`);
  process.exit(2);
}
