/**
 * RFC 6381 codec strings from the decoder configuration records inside an init
 * segment's sample entries, so CODECS describes what is really in the segments
 * (ISO/IEC 14496-15 for AVC and HEVC, the AV1 ISOBMFF binding for AV1).
 */

const hex2 = (n: number) => n.toString(16).padStart(2, '0');

/** avcC: avc1.PPCCLL (profile_idc, constraint flags, level_idc). */
export function avcCodecString(sampleEntry: string, avcC: Buffer): string {
  return `${sampleEntry}.${hex2(avcC[1])}${hex2(avcC[2])}${hex2(avcC[3])}`;
}

/** hvcC: e.g. hvc1.1.6.L93.B0 (profile space+idc, reversed compatibility flags, tier+level, constraint bytes). */
export function hevcCodecString(sampleEntry: string, hvcC: Buffer): string {
  const b1 = hvcC[1];
  const space = ['', 'A', 'B', 'C'][b1 >> 6];
  const tier = b1 & 0x20 ? 'H' : 'L';
  const profile = b1 & 0x1f;
  let compat = hvcC.readUInt32BE(2);
  let reversed = 0;
  for (let i = 0; i < 32; i++) {
    reversed = (reversed << 1) | (compat & 1);
    compat >>>= 1;
  }
  const constraints = [...hvcC.subarray(6, 12)];
  while (constraints.length > 0 && constraints[constraints.length - 1] === 0) constraints.pop();
  const level = hvcC[12];
  return [`${sampleEntry}`, `${space}${profile}`, (reversed >>> 0).toString(16).toUpperCase(), `${tier}${level}`, ...constraints.map((c) => c.toString(16).toUpperCase())].join('.');
}

/** av1C: av01.P.LLT.DD (profile, level and tier, bit depth). */
export function av1CodecString(av1C: Buffer): string {
  const profile = av1C[1] >> 5;
  const level = av1C[1] & 0x1f;
  const tier = av1C[2] & 0x80 ? 'H' : 'M';
  const high = (av1C[2] & 0x40) !== 0;
  const twelve = (av1C[2] & 0x20) !== 0;
  const depth = high ? (twelve ? 12 : 10) : 8;
  return `av01.${profile}.${String(level).padStart(2, '0')}${tier}.${String(depth).padStart(2, '0')}`;
}

/** What a browser's MSE decodes everywhere: H.264 at 8 bits, 4:2:0 (Baseline, Main, High). */
export function isBrowserSafeVideo(codec: string): boolean {
  const m = /^avc[13]\.([0-9a-f]{2})/i.exec(codec);
  if (!m) return false;
  return [0x42, 0x4d, 0x58, 0x64].includes(parseInt(m[1], 16));
}
