/** A sketch's entries as an engine stores them: an int32 bin and a float64 count, 12 bytes each, in either byte order. */
export function sketchEntries(pairs: readonly (readonly [number, number])[], littleEndian: boolean): Buffer {
  const bytes = Buffer.alloc(pairs.length * 12);
  pairs.forEach(([bin, count], i) => {
    if (littleEndian) {
      bytes.writeInt32LE(bin, i * 12);
      bytes.writeDoubleLE(count, i * 12 + 4);
    } else {
      bytes.writeInt32BE(bin, i * 12);
      bytes.writeDoubleBE(count, i * 12 + 4);
    }
  });
  return bytes;
}
