/**
 * A `Map` bounded to `capacity` keys that keeps the recently used ones: route keys come from clients
 * (any `provider/model` they name), so a per-route store in process memory must not grow with them.
 * Eviction gives a second chance (the CLOCK approximation of least recently used): a use only marks
 * its entry, so reads stay a lookup; past `capacity`, the oldest entry not used since it was last
 * passed over is dropped, and the used ones passed over go to the back, unmarked.
 */
export interface Recent<K, V> {
  readonly get: (key: K) => V | undefined
  /** Stores `value` (a new key goes to the back); past `capacity`, one entry is dropped. */
  readonly set: (key: K, value: V) => void
}

/** Route keys an in-process per-route store keeps unless told otherwise. */
export const DEFAULT_ROUTES = 4096

interface Entry<V> {
  value: V
  used: boolean
}

export const make = <K, V>(capacity: number): Recent<K, V> => {
  // A `Map` iterates in insertion order: the front is the oldest.
  const entries = new Map<K, Entry<V>>()
  const evict = () => {
    for (const [key, entry] of entries) {
      entries.delete(key)
      if (!entry.used) return
      entry.used = false
      entries.set(key, entry)
    }
  }
  return {
    get: (key) => {
      const entry = entries.get(key)
      if (entry === undefined) return undefined
      entry.used = true
      return entry.value
    },
    set: (key, value) => {
      const entry = entries.get(key)
      if (entry !== undefined) {
        entry.value = value
        entry.used = true
        return
      }
      entries.set(key, { value, used: false })
      if (entries.size > capacity) evict()
    }
  }
}
