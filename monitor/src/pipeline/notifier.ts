/**
 * Wakes long-polling devices of a workspace when work may be waiting for them. In-process only: on the
 * edge, where requests land in many isolates, the long poll also re-checks on its own every few seconds.
 */
export class WorkNotifier {
  readonly #waiters = new Map<string, Set<() => void>>();

  notify(workspaceId: string): void {
    const set = this.#waiters.get(workspaceId);
    if (!set) return;
    this.#waiters.delete(workspaceId);
    for (const wake of set) wake();
  }

  /** Resolves on the next notify for this workspace, after `ms`, or when `signal` aborts. */
  wait(workspaceId: string, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let set = this.#waiters.get(workspaceId);
      if (!set) {
        set = new Set();
        this.#waiters.set(workspaceId, set);
      }
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.#waiters.get(workspaceId)?.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done);
      set.add(done);
    });
  }
}
