/**
 * What a JPEG says about itself: starts with SOI (FF D8), ends with EOI (FF D9),
 * and its baseline (SOF0) or progressive (SOF2) frame header gives the size.
 * Throws when the bytes are not one whole JPEG.
 */
export function jpegInfo(bytes: Buffer): { width: number; height: number } {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) throw new Error('no JPEG SOI marker');
  if (bytes[bytes.length - 2] !== 0xff || bytes[bytes.length - 1] !== 0xd9) throw new Error('no JPEG EOI marker at the end');
  let i = 2;
  while (i + 9 < bytes.length) {
    if (bytes[i] !== 0xff) throw new Error(`no JPEG marker at byte ${i}`);
    const marker = bytes[i + 1];
    const length = bytes.readUInt16BE(i + 2);
    if (marker === 0xc0 || marker === 0xc2) return { height: bytes.readUInt16BE(i + 5), width: bytes.readUInt16BE(i + 7) };
    i += 2 + length;
  }
  throw new Error('no JPEG SOF0/SOF2 frame header');
}
