/**
 * Byte-pair token counting over an encoding's ranks held compactly: every token's bytes back to back
 * in one array, and an open-addressing table from a byte string's hash to its rank. `o200k_base` is
 * 4.1 MiB this way; `gpt-tokenizer`'s own encoder keeps it as 200,000 strings and a `Map` (16 MB
 * of heap, and about 50 MB more RSS once its 2.4 MB module is compiled and run).
 *
 * The ranks are OpenAI's `.tiktoken` files that `gpt-tokenizer` ships (`data/`: each line a token's
 * bytes in base64 and its rank, the ranks 0, 1, 2, ... in order), and the text is split before the
 * merges by the encoding's own pattern, also `gpt-tokenizer`'s. The merges are tiktoken's: the
 * adjacent pair whose bytes form the lowest-ranked token merges first (the leftmost on a tie), until
 * no pair forms a token. Text is ordinary text: special tokens are not recognised.
 */
import { readFile } from "node:fs/promises"
import { createRequire } from "node:module"
import { CL100K_TOKEN_SPLIT_REGEX, O200K_TOKEN_SPLIT_REGEX } from "gpt-tokenizer/esm/encodingParams/constants"

/** The rank files this module reads. */
export type RankFile = "o200k_base" | "cl100k_base"

/** An encoding's tokens, compactly: token `r`'s bytes are `bytes[offsets[r] .. offsets[r + 1])`. */
export interface Ranks {
  readonly bytes: Uint8Array
  readonly offsets: Uint32Array
  /** Slot → rank + 1 (0: empty); a byte string's slot is its FNV-1a hash, probed linearly. */
  readonly table: Int32Array
}

const NEWLINE = 10
const SPACE = 32

/** Base64 characters to their 6-bit values (-1: not base64; `=` is padding, read as the end). */
const BASE64 = (() => {
  const values = new Int8Array(128).fill(-1)
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
  for (let i = 0; i < alphabet.length; i++) values[alphabet.charCodeAt(i)] = i
  return values
})()

/** FNV-1a over `bytes[start .. end)`. */
const hash = (bytes: Uint8Array, start: number, end: number): number => {
  let h = 0x811c9dc5
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193)
  return h >>> 0
}

/** Decodes the base64 in `text[start .. end)` into `out` at `at`; returns where the bytes end. */
const decodeBase64 = (text: Uint8Array, start: number, end: number, out: Uint8Array, at: number): number => {
  let bits = 0
  let held = 0
  for (let i = start; i < end; i++) {
    const value = BASE64[text[i]!] ?? -1
    if (value < 0) break
    bits = (bits << 6) | value
    held += 6
    if (held >= 8) {
      held -= 8
      out[at++] = (bits >> held) & 0xff
    }
  }
  return at
}

/**
 * Reads a `.tiktoken` file's text (`<base64> <rank>` per line, ranks counting up from 0); fails on
 * a rank out of order or a line that is not base64, so a changed file is noticed, not misread.
 */
export const parse = (text: Uint8Array): Ranks => {
  let lines = 0
  for (let i = 0; i < text.length; i++) if (text[i] === NEWLINE) lines++
  if (text.length > 0 && text[text.length - 1] !== NEWLINE) lines++
  // Base64 decodes to at most 3 bytes per 4 characters: the text's length bounds the bytes.
  const bytes = new Uint8Array(Math.ceil((text.length * 3) / 4))
  const offsets = new Uint32Array(lines + 1)
  let size = 1
  while (size < lines * 2) size *= 2
  const table = new Int32Array(size)
  const mask = size - 1
  let at = 0
  let rank = 0
  let start = 0
  while (start < text.length) {
    let end = text.indexOf(NEWLINE, start)
    if (end < 0) end = text.length
    const space = text.indexOf(SPACE, start)
    if (space < 0 || space > end) throw new Error(`tiktoken ranks: line ${rank + 1} has no rank`)
    let stated = 0
    for (let i = space + 1; i < end; i++) stated = stated * 10 + (text[i]! - 48)
    if (stated !== rank) throw new Error(`tiktoken ranks: line ${rank + 1} states rank ${stated}`)
    offsets[rank] = at
    at = decodeBase64(text, start, space, bytes, at)
    if (at === offsets[rank]) throw new Error(`tiktoken ranks: line ${rank + 1} has no bytes`)
    let slot = hash(bytes, offsets[rank]!, at) & mask
    while (table[slot] !== 0) slot = (slot + 1) & mask
    table[slot] = rank + 1
    rank++
    start = end + 1
  }
  offsets[rank] = at
  return { bytes: bytes.slice(0, at), offsets: offsets.subarray(0, rank + 1), table }
}

/** Reads one of `gpt-tokenizer`'s rank files. */
export const load = (file: RankFile): Promise<Ranks> =>
  readFile(createRequire(import.meta.url).resolve(`gpt-tokenizer/data/${file}.tiktoken`)).then(parse)

/** The rank of the token whose bytes are `piece[start .. end)`, or -1 when none is. */
const rankOf = (ranks: Ranks, piece: Uint8Array, start: number, end: number): number => {
  const { bytes, offsets, table } = ranks
  const mask = table.length - 1
  const length = end - start
  let slot = hash(piece, start, end) & mask
  for (;;) {
    const entry = table[slot]!
    if (entry === 0) return -1
    const rank = entry - 1
    const from = offsets[rank]!
    if (offsets[rank + 1]! - from === length) {
      let i = 0
      while (i < length && bytes[from + i] === piece[start + i]) i++
      if (i === length) return rank
    }
    slot = (slot + 1) & mask
  }
}

const NONE = 0x7fffffff

/**
 * Tokens of one pre-split piece, `piece[0 .. length)`, by tiktoken's merges: `starts` holds each
 * part's first byte, `pairs` the rank of each part joined with the next (NONE when that is no token).
 */
const mergeCount = (ranks: Ranks, piece: Uint8Array, length: number, starts: Int32Array, pairs: Int32Array): number => {
  const rankOrNone = (start: number, end: number) => {
    const rank = rankOf(ranks, piece, start, end)
    return rank < 0 ? NONE : rank
  }
  let parts = length + 1 // `starts[length]` is the end: the parts are the gaps between starts
  for (let i = 0; i <= length; i++) starts[i] = i
  for (let i = 0; i < length - 1; i++) pairs[i] = rankOrNone(i, i + 2)
  pairs[length - 1] = NONE
  /** Part `i` joined with the next, once those two have merged (tiktoken's `get_rank`). */
  const joined = (i: number): number => (i + 3 >= parts ? NONE : rankOrNone(starts[i]!, starts[i + 3]!))
  for (;;) {
    let best = NONE
    let at = -1
    for (let i = 0; i < parts - 1; i++) {
      if (pairs[i]! < best) {
        best = pairs[i]!
        at = i
      }
    }
    if (at < 0) return parts - 1
    if (at > 0) pairs[at - 1] = joined(at - 1)
    pairs[at] = joined(at)
    starts.copyWithin(at + 1, at + 2, parts)
    pairs.copyWithin(at + 1, at + 2, parts - 1)
    parts--
  }
}

/** The split patterns of the encodings a rank file serves. */
const patterns: Record<RankFile, RegExp> = { o200k_base: O200K_TOKEN_SPLIT_REGEX, cl100k_base: CL100K_TOKEN_SPLIT_REGEX }

/** Pieces whose merges are remembered (their counts), the oldest forgotten first. */
const MERGED_KEPT = 4096

/** A counter of ordinary text's tokens in `file`'s encoding, over its `ranks`. */
export const counter = (file: RankFile, ranks: Ranks): (text: string) => number => {
  const split = new RegExp(patterns[file].source, patterns[file].flags)
  const encoder = new TextEncoder()
  const scratch = { piece: new Uint8Array(256), starts: new Int32Array(257), pairs: new Int32Array(256) }
  const merged = new Map<string, number>()
  const count = (word: string): number => {
    if (word.length * 3 > scratch.piece.length) {
      const size = word.length * 3
      scratch.piece = new Uint8Array(size)
      scratch.starts = new Int32Array(size + 1)
      scratch.pairs = new Int32Array(size)
    }
    const { written } = encoder.encodeInto(word, scratch.piece)
    // Every single byte is a token of these encodings.
    if (written === 1 || rankOf(ranks, scratch.piece, 0, written) >= 0) return 1
    const known = merged.get(word)
    if (known !== undefined) return known
    const n = mergeCount(ranks, scratch.piece, written, scratch.starts, scratch.pairs)
    if (merged.size >= MERGED_KEPT) merged.delete(merged.keys().next().value!)
    merged.set(word, n)
    return n
  }
  return (text) => {
    let total = 0
    split.lastIndex = 0
    for (let match = split.exec(text); match !== null; match = split.exec(text)) total += count(match[0])
    return total
  }
}
