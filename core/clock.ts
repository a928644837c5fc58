/** Milliseconds since the epoch; injected so rate limits, timeouts and timestamps can be tested without waiting. */
export type Clock = () => number;

export const systemClock: Clock = Date.now;
