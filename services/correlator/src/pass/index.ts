export { sliceApplier, type ApplySlice, type PassResult } from './apply-slice.ts';
export { heldVerdicts, type Held, type HeldVerdicts } from './held-verdicts.ts';
export { observeCalls, type ObserveCalls } from './observe-calls.ts';
export { rewalks, walkEntry, type Requeued } from './rewalks.ts';
export { statePasses, type Lane, type StatePass, type StatePasses } from './scheduler.ts';
export { passSettler, type SettlePass } from './settle-pass.ts';
export { recordWriter, type WriteRecords } from './write-records.ts';
