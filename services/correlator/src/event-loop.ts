/**
 * A batch's work is handed back to the event loop every this many events, also while a pass
 * groups them and reads its script replies: a process that also serves lookups or follows the
 * update stream (the one-machine launcher) would otherwise stall for the whole of a large batch.
 */
export const YIELD_EVERY = 250;
