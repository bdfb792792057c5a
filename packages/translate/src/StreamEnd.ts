/**
 * The end of a stream that finished. A client dialect sends its closing frames (`[DONE]`, the usage
 * chunk, `message_delta` with its `stop_reason`, `message_stop`) on this marker and only on it, so a
 * stream that broke ends with an error event and never looks like a finished answer.
 */
export interface End {
  readonly _tag: "End"
}

export const end: End = { _tag: "End" }
