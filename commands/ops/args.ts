/** Resolves after ms; the tools poll AWS at this pace. */
export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));
