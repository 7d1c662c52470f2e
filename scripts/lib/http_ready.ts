// Waiting for a server we started to answer over HTTP, while its process is still alive.

const POLL_MS = 100;

/** Resolves true once `url` answers and `accept` likes the answer; false on timeout or when `alive()` turns false. */
export async function httpReady(
  url: string,
  timeoutMs: number,
  alive: () => boolean,
  accept: (res: Response) => Promise<boolean> | boolean = (res) => res.ok,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (alive() && Date.now() < deadline) {
    try {
      if (await accept(await fetch(url))) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return false;
}
