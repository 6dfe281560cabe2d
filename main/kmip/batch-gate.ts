// Who may use the store while a batch with the Undo option runs. Such a batch
// keeps one store transaction open across its items, and items may await
// (key pair generation): any other request that ran meanwhile would write
// into that transaction and be rolled back with it. So every request holds
// the gate shared, an Undo batch holds it alone; a waiting Undo batch goes
// before newly arriving requests, so it cannot be starved.
export class BatchGate {
  #active = 0;
  #exclusive = false;
  #waiting: { exclusive: boolean; go: () => void }[] = [];
  #exclusiveRuns = 0;

  /**
   * How many exclusive runs (Undo batches) have been admitted, counting the
   * one running now (`exclusiveHeld`): an online backup compares them before
   * and after, to know no Undo batch's open transaction overlapped its copy.
   */
  get exclusiveRuns(): number {
    return this.#exclusiveRuns;
  }
  get exclusiveHeld(): boolean {
    return this.#exclusive;
  }

  async shared<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#exclusive || this.#waiting.length > 0) await this.#wait(false);
    else this.#active++;
    try {
      return await fn();
    } finally {
      this.#active--;
      this.#wake();
    }
  }

  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#exclusive || this.#active > 0 || this.#waiting.length > 0) await this.#wait(true);
    else this.#exclusive = true;
    this.#exclusiveRuns++;
    try {
      return await fn();
    } finally {
      this.#exclusive = false;
      this.#wake();
    }
  }

  #wait(exclusive: boolean): Promise<void> {
    return new Promise((go) => this.#waiting.push({ exclusive, go }));
  }

  /** Admits waiters in arrival order: a run of shared ones together, or one exclusive when nothing is active. */
  #wake(): void {
    while (this.#waiting.length > 0 && !this.#exclusive) {
      const next = this.#waiting[0]!;
      if (next.exclusive) {
        if (this.#active > 0) return;
        this.#waiting.shift();
        this.#exclusive = true;
        next.go();
        return;
      }
      this.#waiting.shift();
      this.#active++;
      next.go();
    }
  }
}

const gates = new WeakMap<object, BatchGate>();

/** One gate per store port: every connection of a server shares it. */
export function gateFor(key: object): BatchGate {
  let g = gates.get(key);
  if (g === undefined) gates.set(key, (g = new BatchGate()));
  return g;
}
