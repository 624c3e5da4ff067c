// What a callback returns, with wasm-go's names (types.Action and the header/data statuses).
// An AssemblyScript enum: values are plain i32 constants, and several names share a value because
// the ABI reuses numbers per callback kind (a header 1 and a body 1 mean different things).
export enum Action {
  /** Go on (all callbacks). */
  Continue = 0,
  /** Headers: StopIteration (0.2.100) — hold headers, keep reading the body. Body: buffer. */
  Pause = 1,
  HeaderStopIteration = 1,
  HeaderContinueAndEndStream = 2,
  HeaderStopAllIterationAndBuffer = 3,
  /** What a plugin returns from a header callback after starting a callout (resume in its callback). */
  HeaderStopAllIterationAndWatermark = 4,
  DataStopIterationAndBuffer = 1,
  DataStopIterationAndWatermark = 2,
  DataStopIterationNoBuffer = 3,
}
