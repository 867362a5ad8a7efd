// Bytes of no file format, the same on every run: truly random bytes now and
// then carry a valid magic number (an MP3 frame sync about once in 300 4 KiB
// files), which would make a test flaky.
export function noise(length: number): Buffer {
  const bytes = Buffer.alloc(length);
  let state = 0x2545f491;
  for (let i = 0; i < length; i++) {
    // xorshift32
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[i] = state & 0xff;
  }
  return bytes;
}
