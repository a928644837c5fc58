/**
 * Where and how the latency bench draws a frame's capture time into the picture.
 *
 * 60 square blocks in two rows at the top of the frame, white = 1, black = 0:
 * a 6-bit start sync, 44 bits of Date.now() (most significant first), a CRC-8 of
 * those 44 bits (as 6 bytes, big-endian) and a 2-bit end sync. The reader
 * rejects a frame whose sync blocks do not read back or whose CRC does not match.
 * Blocks are 40 px at 720p, so still 20 px after the 360p rendition's downscale.
 *
 * Both the publisher (Node) and the reader (the page, see stamp-reader.ts) use
 * this plain-data description, so it must stay JSON-serialisable.
 */
export interface StampLayout {
  /** The published frame size; the reader scales to the decoded size. */
  frameWidth: number;
  frameHeight: number;
  fps: number;
  /** Top-left corner of the first block, in published pixels. */
  x0: number;
  y0: number;
  block: number;
  cols: number;
  rows: number;
  syncStart: number[];
  dataBits: number;
  crcBits: number;
  syncEnd: number[];
}

export const STAMP_LAYOUT: StampLayout = {
  frameWidth: 1280,
  frameHeight: 720,
  fps: 30,
  x0: 40,
  y0: 24,
  block: 40,
  cols: 30,
  rows: 2,
  syncStart: [1, 0, 1, 0, 1, 1],
  dataBits: 44,
  crcBits: 8,
  syncEnd: [0, 1],
};

/** CRC-8 (polynomial 0x07, init 0) over the 44-bit value as 6 big-endian bytes. */
export function stampCrc8(value: number): number {
  let crc = 0;
  for (let i = 5; i >= 0; i--) {
    crc ^= Math.floor(value / 2 ** (8 * i)) % 256;
    for (let b = 0; b < 8; b++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  }
  return crc;
}

/** The 60 bits drawn for a millisecond timestamp, in block order. */
export function stampBits(ms: number, layout: StampLayout = STAMP_LAYOUT): number[] {
  const value = Math.floor(ms) % 2 ** layout.dataBits;
  const bits = [...layout.syncStart];
  for (let i = layout.dataBits - 1; i >= 0; i--) bits.push(Math.floor(value / 2 ** i) % 2);
  const crc = stampCrc8(value);
  for (let i = layout.crcBits - 1; i >= 0; i--) bits.push((crc >> i) & 1);
  bits.push(...layout.syncEnd);
  if (bits.length !== layout.cols * layout.rows) {
    throw new Error(`stamp layout holds ${layout.cols * layout.rows} blocks but needs ${bits.length}`);
  }
  return bits;
}

/** Draws the stamp into an 8-bit grayscale frame (row stride = frameWidth). */
export function drawStamp(frame: Buffer, ms: number, layout: StampLayout = STAMP_LAYOUT): void {
  const bits = stampBits(ms, layout);
  const { frameWidth: stride, x0, y0, block, cols } = layout;
  for (let k = 0; k < bits.length; k++) {
    const bx = x0 + (k % cols) * block;
    const by = y0 + Math.floor(k / cols) * block;
    const v = bits[k] ? 255 : 0;
    for (let y = by; y < by + block; y++) frame.fill(v, y * stride + bx, y * stride + bx + block);
  }
}
