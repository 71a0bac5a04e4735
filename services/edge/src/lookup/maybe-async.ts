/** A value now, or a promise of it: the lookup path stays synchronous when nothing waits. */
export type MaybePromise<T> = T | Promise<T>;

/** Applies `next` to `value`: at once when `value` is not a promise, else when it resolves. */
export function andThen<T, U>(value: MaybePromise<T>, next: (value: T) => MaybePromise<U>): MaybePromise<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}
