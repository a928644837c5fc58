/**
 * node-media-server's log lines can carry a stream key two ways: in a stream
 * path (`/live/<key>`, which NMS only builds from letters, digits, _ and -),
 * and in the line that refuses a path with other characters
 * (`invalid stream path characters: app=live, name=<key>`), where the name
 * may hold anything (spaces, commas) and runs to the end of the line. Both
 * are cut out; what is left (session, address, app) stays useful.
 */
export function redactStreamKeys(message: string): string {
  return message
    .replace(/\bname=[\s\S]*$/, 'name=***')
    .replace(/\/[A-Za-z0-9_-]+\/[^\s,]+/g, (p) => `${p.split('/').slice(0, 2).join('/')}/***`);
}
