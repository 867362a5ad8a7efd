// A count with its noun, singular for one: "1 object", "3 messages".

/** `count` and `one`, or `many` (by default `one` + "s") for any count but 1. */
export const plural = (count: number, one: string, many = `${one}s`): string =>
  `${count} ${count === 1 ? one : many}`;
