/**
 * A sort key that orders by time, then id: the time in ms zero-padded to 16 digits (any safe
 * integer), `#`, the id. String order is then time order, so "older than" or a keyset cursor
 * is a plain `<` on the key (image lists, a webhook's deliveries, unscheduled-delivery marks).
 */
export const paddedTime = (ms: number) => String(ms).padStart(16, '0');

export const timeOrderedKey = (ms: number, id: string) => `${paddedTime(ms)}#${id}`;
