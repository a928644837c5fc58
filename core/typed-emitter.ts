import { EventEmitter } from 'node:events';

/** An EventEmitter whose event names and payloads are checked by the compiler (hls.js events.ts style). */
export class TypedEmitter<Events extends { [K in keyof Events]: (...args: any[]) => void }> {
  private readonly ee = new EventEmitter();

  constructor() {
    this.ee.setMaxListeners(100);
  }

  on<K extends keyof Events & string>(event: K, listener: Events[K]): this {
    this.ee.on(event, listener);
    return this;
  }

  once<K extends keyof Events & string>(event: K, listener: Events[K]): this {
    this.ee.once(event, listener);
    return this;
  }

  off<K extends keyof Events & string>(event: K, listener: Events[K]): this {
    this.ee.off(event, listener);
    return this;
  }

  emit<K extends keyof Events & string>(event: K, ...args: Parameters<Events[K]>): boolean {
    return this.ee.emit(event, ...args);
  }

  removeAllListeners(): void {
    this.ee.removeAllListeners();
  }
}
