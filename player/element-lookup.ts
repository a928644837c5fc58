/** Finds a required element of the page by id and checks its type. */
export function byId<T extends HTMLElement>(id: string, type: { new (): T; prototype: T }): T {
  const el = document.getElementById(id);
  if (!(el instanceof type)) {
    throw new Error(`watch.html is missing #${id} (expected a ${type.name})`);
  }
  return el;
}
