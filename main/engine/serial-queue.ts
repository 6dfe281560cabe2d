// Runs async tasks one at a time, in arrival order.

export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => T | Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    // A failed task must not block the ones behind it; its caller sees the failure.
    this.tail = result.catch(() => undefined);
    return result;
  }
}
