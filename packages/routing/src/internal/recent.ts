/**
 * A `Map` that keeps its `capacity` most recently used keys: route keys come from clients (any
 * `provider/model` they name), so a per-route store in process memory must not grow with them.
 */
/** Route keys an in-process per-route store keeps unless told otherwise. */
export const DEFAULT_ROUTES = 4096

export interface Recent<K, V> {
  readonly get: (key: K) => V | undefined
  /** Stores `value` as the most recent; past `capacity`, the least recently used key is dropped. */
  readonly set: (key: K, value: V) => void
  readonly size: () => number
}

export const make = <K, V>(capacity: number): Recent<K, V> => {
  // A `Map` iterates in insertion order: re-inserting a key on use keeps the oldest first.
  const entries = new Map<K, V>()
  return {
    get: (key) => {
      const value = entries.get(key)
      if (value !== undefined) {
        entries.delete(key)
        entries.set(key, value)
      }
      return value
    },
    set: (key, value) => {
      entries.delete(key)
      entries.set(key, value)
      if (entries.size > capacity) entries.delete(entries.keys().next().value!)
    },
    size: () => entries.size
  }
}
