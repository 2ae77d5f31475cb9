type Child = Node | string | null | undefined | false;
type AttributeValue = string | number | boolean | null | undefined;

/**
 * Builds an element: attributes set as given (booleans toggle, null/undefined/false omit),
 * `class` as the class list, children appended in order (text as text nodes, never HTML).
 * The page builds everything this way, so no server string is ever parsed as markup.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, AttributeValue> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  element.append(
    ...children.filter(
      (child): child is Node | string => child !== null && child !== undefined && child !== false,
    ),
  );
  return element;
}

/** An element the page's HTML must have; a missing one is a bug in index.html. */
export function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`index.html has no #${id}`);
  return element as T;
}

/**
 * Says `message` to screen readers through the page's polite live region. Each message is a
 * node of its own, removed a while later, so that several at once are all read.
 */
export function announce(message: string): void {
  const region = byId('announcer');
  const line = h('p', {}, message);
  region.append(line);
  window.setTimeout(() => line.remove(), 10_000);
}
