/**
 * The encoder probe against the real ffmpeg on this machine. It has no GPU: the
 * probe must prove libx264, report every hardware encoder as not working with
 * the reason, and `auto` must pick libx264 and say why.
 */
import pino from 'pino';
import { chooseEncoder, EncoderProbe, failureReason, type EncoderReport } from './encoder-probe';
import { resolveFfmpegPath } from './ffmpeg-path';

describe('EncoderProbe on this machine', () => {
  let report: EncoderReport;
  const lines: { msg: string; auto?: string }[] = [];

  beforeAll(async () => {
    const log = pino({ level: 'info' }, { write: (l: string) => lines.push(JSON.parse(l)) });
    const probe = new EncoderProbe({ ffmpegPath: resolveFfmpegPath(), device: '/dev/dri/renderD128', timeoutMs: 15_000, log });
    probe.start();
    report = await probe.report();
    probe.stop();
  });

  it('proves libx264 with a test encode and picks it for auto, saying why', () => {
    const x264 = report.encoders.find((e) => e.encoder === 'libx264')!;
    expect(x264).toMatchObject({ listed: true, works: true, hardware: false, setup: { encoder: 'libx264', frames: 'system' } });
    expect(x264.reason).toMatch(/^test encode passed in \d+ ms/);
    expect(report.auto).toBe('libx264');
    expect(report.autoReason).toMatch(/^no hardware encoder works here \(h264_nvenc: .+; h264_qsv: .+; h264_vaapi: .+\)$/);
    expect(lines.find((l) => l.auto === 'libx264')?.msg).toMatch(/^H\.264 encoder for 'auto': libx264, because no hardware encoder works here/);
  });

  it('reports each hardware encoder as not working, with the reason', () => {
    for (const name of ['h264_nvenc', 'h264_vaapi', 'h264_qsv']) {
      const e = report.encoders.find((x) => x.encoder === name)!;
      expect(e).toMatchObject({ hardware: true, works: false });
      // Either this ffmpeg build lacks it, or it is listed and its test encode failed (no /dev/dri here).
      expect(e.reason).toMatch(e.listed ? /^(test encode failed: .+|this ffmpeg build lacks .+)$/ : /^not in this ffmpeg build/);
    }
    // The bundled ffmpeg 4.1 lists h264_vaapi: the reason is ffmpeg's own words about the missing device.
    const vaapi = report.encoders.find((x) => x.encoder === 'h264_vaapi')!;
    if (vaapi.listed) expect(vaapi.reason).toMatch(/renderD128|VA|device/i);
  });

  it('a profile asking for missing hardware falls back to libx264 and says so', () => {
    const { setup, reason } = chooseEncoder('h264_nvenc', report);
    expect(setup.encoder).toBe('libx264');
    expect(reason).toMatch(/^the profile asks for h264_nvenc, which does not work here \(.+\): using libx264$/);
    expect(chooseEncoder('auto', report).setup.encoder).toBe('libx264');
  });
});

describe('chooseEncoder', () => {
  const vaapiSetup = { encoder: 'h264_vaapi' as const, frames: 'gpu' as const, scaler: 'scale_vaapi' as const, device: '/dev/dri/renderD128', options: [] };
  const report: EncoderReport = {
    ffmpegPath: 'ffmpeg', ffmpegVersion: 'x', probedAt: 0, auto: 'h264_vaapi', autoReason: 'h264_vaapi passed its test encode',
    encoders: [
      { encoder: 'libx264', hardware: false, listed: true, works: true, reason: 'ok', setup: { encoder: 'libx264', frames: 'system', options: [] } },
      { encoder: 'h264_vaapi', hardware: true, listed: true, works: true, reason: 'ok', setup: vaapiSetup },
    ],
  };
  it('auto picks the working hardware encoder; an explicit choice is honoured', () => {
    expect(chooseEncoder('auto', report).setup).toBe(vaapiSetup);
    expect(chooseEncoder('libx264', report).setup.encoder).toBe('libx264');
    expect(chooseEncoder('h264_vaapi', report).reason).toBe('the profile asks for h264_vaapi');
  });
});

describe('failureReason', () => {
  it("keeps ffmpeg's words and drops the context prefixes and generic lines", () => {
    const stderr = '[AVHWDeviceContext @ 0x246a3dc0] No VA display found for device: /dev/dri/renderD128.\nDevice creation failed: -22.\nConversion failed!\n';
    expect(failureReason(stderr, 1)).toBe('No VA display found for device: /dev/dri/renderD128. / Device creation failed: -22.');
    expect(failureReason('', null)).toBe('timed out');
  });
});
