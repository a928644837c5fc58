/**
 * Collects event listeners so a component's stop() can release all of them at
 * once (hls.js ComponentAPI.destroy, convention 3).
 */
export class ListenerBag {
  private readonly removers: Array<() => void> = [];

  on<K extends keyof HTMLElementEventMap>(
    target: HTMLElement,
    type: K,
    listener: (ev: HTMLElementEventMap[K]) => void,
  ): void;
  on<K extends keyof DocumentEventMap>(target: Document, type: K, listener: (ev: DocumentEventMap[K]) => void): void;
  on<K extends keyof WindowEventMap>(target: Window, type: K, listener: (ev: WindowEventMap[K]) => void): void;
  on(target: EventTarget, type: string, listener: (ev: Event) => void): void;
  on(target: EventTarget, type: string, listener: (ev: never) => void): void {
    const fn = listener as EventListener;
    target.addEventListener(type, fn);
    this.removers.push(() => target.removeEventListener(type, fn));
  }

  clear(): void {
    for (const remove of this.removers.splice(0)) remove();
  }
}
