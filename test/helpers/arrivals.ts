// Events kept in the order they came, so a test can wait for one whether it came already or is yet
// to come: waiting after the fact never misses an event that raced ahead of the wait.

export class Arrivals<T> {
  readonly items: T[] = [];
  #waiters: (() => void)[] = [];

  push = (item: T): void => {
    this.items.push(item);
    for (const wake of this.#waiters.splice(0)) wake();
  };

  /** The first item, past or future, that matches. */
  async waitFor(match: (item: T, index: number) => boolean): Promise<T> {
    for (;;) {
      const found = this.items.find(match);
      if (found !== undefined) return found;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }
}
